// Alert template tests. Expected outputs and messages are Go's text/template and Prometheus'
// (template/template_test.go cases re-expressed here); error columns count the 112 bytes
// of the four definitions Prometheus prepends.
#include "query/template.h"

#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace plumbline::query {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TemplateData Data(double value = 0.5) {
  TemplateData d;
  d.labels = {{"alertname", "HighErrors"}, {"instance", "web-1:9100"}, {"job", "node"}};
  d.external_labels = {{"cluster", "eu-1"}};
  d.external_url = "http://testhost:9090/path/prefix";
  d.value = value;
  return d;
}

TemplateQueryFn Returns(std::vector<TemplateSample> samples) {
  return [samples](std::string_view) -> absl::StatusOr<std::vector<TemplateSample>> {
    return samples;
  };
}

// The output, or "ERROR(<code>): <message>".
std::string Expand(std::string_view text, const TemplateData& data = Data(),
                   const TemplateQueryFn& query = nullptr, std::string_view name = "t") {
  auto tmpl = Template::Parse(name, text);
  if (!tmpl.ok()) return "PARSE: " + std::string(tmpl.status().message());
  auto out = tmpl->Execute(data, query);
  if (!out.ok()) {
    return std::string(absl::StatusCodeToString(out.status().code())) + ": " +
           std::string(out.status().message());
  }
  return *out;
}

TEST(TemplateTest, PlainTextIsCopied) {
  EXPECT_EQ(Expand("plain text"), "plain text");
  EXPECT_EQ(Expand(""), "");
  EXPECT_EQ(Expand("a } b {"), "a } b {");
}

TEST(TemplateTest, Definitions) {
  EXPECT_EQ(Expand("{{ $labels.instance }} of {{ .Labels.job }}"), "web-1:9100 of node");
  EXPECT_EQ(Expand("{{ $externalLabels.cluster }} {{ .ExternalLabels.cluster }}"), "eu-1 eu-1");
  EXPECT_EQ(Expand("{{ $externalURL }}"), "http://testhost:9090/path/prefix");
  EXPECT_EQ(Expand("{{ $value }} {{ .Value }}"), "0.5 0.5");
  // missingkey=zero: a missing label is "" (not "<no value>").
  EXPECT_EQ(Expand("[{{ $labels.nope }}][{{ index $labels \"nope\" }}]"), "[][]");
}

TEST(TemplateTest, ValuesPrintAsGoPercentV) {
  const std::vector<std::pair<double, std::string>> cases = {
      {0.5, "0.5"},       {1, "1"},
      {0, "0"},           {123456, "123456"},
      {1e6, "1e+06"},     {1234567, "1.234567e+06"},
      {0.0001, "0.0001"}, {0.00001, "1e-05"},
      {-2.5, "-2.5"},     {1e21, "1e+21"},
      {kInf, "+Inf"},     {-kInf, "-Inf"},
      {kNaN, "NaN"},      {0.1 + 0.2, "0.30000000000000004"},
  };
  for (const auto& [v, want] : cases) {
    EXPECT_EQ(Expand("{{ $value }}", Data(v)), want) << v;
    EXPECT_EQ(FormatGoFloatV(v), want);
  }
  EXPECT_EQ(FormatGoFloatV(-0.0), "-0");
}

TEST(TemplateTest, Literals) {
  EXPECT_EQ(Expand("{{ 1 }} {{ 1.5 }} {{ -3 }} {{ 0x1F }} {{ 1e3 }} {{ 'a' }}"),
            "1 1.5 -3 31 1000 97");
  EXPECT_EQ(Expand("{{ true }} {{ false }} {{ \"a\\tb\" }} {{ `raw\\n` }}"),
            "true false a\tb raw\\n");
  EXPECT_EQ(Expand("{{ \"\\u00e9\\x41\" }}"),
            "\xc3\xa9"
            "A");
}

TEST(TemplateTest, TrimMarkersAndComments) {
  EXPECT_EQ(Expand("a  \n{{- 1 -}}\n  b"), "a1b");
  EXPECT_EQ(Expand("a {{-1}} b"), "a -1 b");
  EXPECT_EQ(Expand("a{{/* note */}}b"), "ab");
  EXPECT_EQ(Expand("a {{- /* note */ -}} b"), "ab");
  EXPECT_EQ(Expand("a{{/* multi\nline */}}b"), "ab");
}

TEST(TemplateTest, Conditionals) {
  const std::string t =
      "{{ if gt $value 10.0 }}big{{ else if gt $value 1.0 }}mid{{ else }}small{{ end }}";
  EXPECT_EQ(Expand(t, Data(20)), "big");
  EXPECT_EQ(Expand(t, Data(5)), "mid");
  EXPECT_EQ(Expand(t, Data(0.5)), "small");
  EXPECT_EQ(Expand("{{ if $labels.job }}has job{{ end }}{{ if $labels.x }}x{{ end }}"), "has job");
  EXPECT_EQ(Expand("{{ with $labels.job }}[{{ . }}]{{ else }}none{{ end }}"), "[node]");
  EXPECT_EQ(Expand("{{ with $labels.x }}[{{ . }}]{{ else }}none{{ end }}"), "none");
  EXPECT_EQ(Expand("{{ if not (eq $labels.job \"api\") }}not api{{ end }}"), "not api");
}

TEST(TemplateTest, Comparisons) {
  EXPECT_EQ(Expand("{{ eq 1 1 }} {{ eq \"b\" \"a\" \"b\" }} {{ ne 1 2 }} {{ lt 1.5 2.5 }}"),
            "true true true true");
  EXPECT_EQ(Expand("{{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1 2 }} {{ eq $labels.job \"node\" }}"),
            "true true false true");
  // Go does not compare a float64 with an int constant.
  EXPECT_EQ(Expand("{{ if gt $value 1 }}x{{ end }}"),
            "INVALID_ARGUMENT: template: t:1:118: executing \"t\" at <gt $value 1>: error calling "
            "gt: incompatible types for comparison");
  EXPECT_EQ(Expand("{{ lt true false }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <lt true false>: error "
            "calling lt: invalid type for comparison");
  EXPECT_EQ(Expand("{{ eq 1 }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <eq 1>: error calling eq: "
            "missing argument for comparison");
}

TEST(TemplateTest, AndOrShortCircuit) {
  EXPECT_EQ(Expand("{{ or \"\" \"x\" }} {{ and 1 0 }} {{ and 1 2 }} {{ or 0 \"\" }}"), "x 0 2 ");
  // The query is never made: `and` stops at false.
  EXPECT_EQ(Expand("{{ and false (query \"up\" | first) }}"), "false");
  EXPECT_EQ(Expand("{{ $value | and true }}"), "0.5");
}

TEST(TemplateTest, Variables) {
  EXPECT_EQ(Expand("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"), "2");
  EXPECT_EQ(Expand("{{ $x := \"a\" }}{{ if true }}{{ $x = \"b\" }}{{ end }}{{ $x }}"), "b");
  EXPECT_EQ(Expand("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}"),
            "PARSE: template: t:1: undefined variable \"$y\"");
}

TEST(TemplateTest, Range) {
  EXPECT_EQ(Expand("{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}"),
            "alertname=HighErrors;instance=web-1:9100;job=node;");
  EXPECT_EQ(Expand("{{ range $labels }}{{ . }},{{ end }}"), "HighErrors,web-1:9100,node,");
  const auto q = Returns({{{{"instance", "b"}}, 21}, {{{"instance", "a"}}, 11}});
  EXPECT_EQ(
      Expand("{{ range $i, $s := query \"up\" }}{{ $i }}:{{ $s.Value }} {{ end }}", Data(), q),
      "0:21 1:11 ");
  EXPECT_EQ(Expand("{{ range query \"up\" }}x{{ else }}none{{ end }}", Data(), Returns({})),
            "none");
  EXPECT_EQ(
      Expand("{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ break }}{{ end }}{{ $k "
             "}};{{ end }}"),
      "alertname;");
  EXPECT_EQ(
      Expand("{{ range $k, $v := $labels }}{{ if eq $k \"instance\" }}{{ continue }}{{ end }}{{ "
             "$k }};{{ end }}"),
      "alertname;job;");
  EXPECT_EQ(Expand("{{ range 3 }}x{{ end }}"),
            "INVALID_ARGUMENT: template: t:1:121: executing \"t\" at <3>: range can't iterate over "
            "3");
  EXPECT_EQ(Expand("{{ break }}"), "PARSE: template: t:1: {{break}} outside {{range}}");
}

TEST(TemplateTest, DefineTemplateBlock) {
  EXPECT_EQ(Expand("{{ define \"T\" }}[{{ . }}]{{ end }}{{ template \"T\" \"x\" }}"), "[x]");
  EXPECT_EQ(Expand("{{ block \"B\" $labels.job }}<{{ . }}>{{ end }}"), "<node>");
  // Prometheus' args: several values for a template.
  EXPECT_EQ(Expand("{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1 \"2\")}}"),
            "1 2");
  EXPECT_EQ(Expand("{{define \"x\"}}{{.arg0}} {{.arg1}}{{end}}{{template \"x\" (args 1)}}"),
            "1 <no value>");
  EXPECT_EQ(Expand("{{ template \"nope\" }}"),
            "INVALID_ARGUMENT: template: t:1:124: executing \"t\" at <{{template \"nope\"}}>: "
            "template \"nope\" not defined");
  // A defined template has no access to the outer variables.
  EXPECT_EQ(Expand("{{ define \"T\" }}{{ $labels }}{{ end }}"),
            "PARSE: template: t:1: undefined variable \"$labels\"");
  EXPECT_EQ(Expand("{{ define \"T\" }}a{{ end }}{{ define \"T\" }}b{{ end }}"),
            "PARSE: template: t:1: template: multiple definition of template \"T\"");
  // The executing template's name appears in errors.
  EXPECT_EQ(Expand("{{ define \"T\" }}{{ humanize . }}{{ end }}{{ template \"T\" \"x\" }}"),
            "INVALID_ARGUMENT: template: t:1:131: executing \"T\" at <humanize .>: error calling "
            "humanize: strconv.ParseFloat: parsing \"x\": invalid syntax");
}

TEST(TemplateTest, GoBuiltins) {
  EXPECT_EQ(Expand("{{ len $labels }} {{ len \"abc\" }} {{ not 0 }} {{ not \"x\" }}"),
            "3 3 true false");
  EXPECT_EQ(Expand("{{ index $labels \"job\" }} {{ index \"abc\" 1 }}"), "node 98");
  EXPECT_EQ(Expand("{{ slice \"abcdef\" 1 3 }} {{ slice \"abc\" 1 }}"), "bc bc");
  EXPECT_EQ(Expand("{{ index \"abc\" 3 }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <index \"abc\" 3>: error "
            "calling index: index out of range: 3");
  EXPECT_EQ(Expand("{{ print 1 2 \"a\" 3 }}|{{ println 1 \"a\" }}|"), "1 2a3|1 a\n|");
  EXPECT_EQ(Expand("{{ html \"<a href='x'>&\" }}"), "&lt;a href=&#39;x&#39;&gt;&amp;");
  EXPECT_EQ(Expand("{{ js \"it's <b>\" }}"), "it\\'s \\u003Cb\\u003E");
  EXPECT_EQ(Expand("{{ urlquery \"a b&c=d\" }} {{ \"x y\" | urlquery }}"), "a+b%26c%3Dd x+y");
  EXPECT_EQ(Expand("{{ len 3 }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <len 3>: error calling len: "
            "len of type int");
}

TEST(TemplateTest, Printf) {
  EXPECT_EQ(Expand("{{ printf \"%.2f\" 3.14159 }}"), "3.14");
  EXPECT_EQ(Expand("{{ printf \"%.2f\" $value }}", Data(0.125)), "0.12");
  EXPECT_EQ(Expand("{{ printf \"%d items, %s, %v, %t\" 42 \"s\" $value true }}"),
            "42 items, s, 0.5, true");
  EXPECT_EQ(Expand("{{ printf \"%5.1f|%-5d|%05d|%+d|%x|%X|%o\" 3.14159 42 42 7 255 255 8 }}"),
            "  3.1|42   |00042|+7|ff|FF|10");
  EXPECT_EQ(Expand("{{ printf \"%q %x %5s|%-4s|%.2s\" \"a\\\"b\" \"hi\" \"ab\" \"ab\" \"xyz\" }}"),
            "\"a\\\"b\" 6869    ab|ab  |xy");
  EXPECT_EQ(Expand("{{ printf \"%e %g %g %g %G\" 1234.5678 1e6 0.5 100000.0 1e-7 }}"),
            "1.234568e+03 1e+06 0.5 100000 1E-07");
  EXPECT_EQ(Expand("{{ printf \"%.3g|%.10g|%8.3e\" 1234567.0 0.1 1234.5 }}"),
            "1.23e+06|0.1|1.234e+03");
  EXPECT_EQ(Expand("{{ printf \"%d%%\" 5 }}"), "5%");
  EXPECT_EQ(Expand("{{ printf \"%f %f %f\" $value $value $value }}", Data(kInf)), "+Inf +Inf +Inf");
  // Go's fmt error notation.
  EXPECT_EQ(Expand("{{ printf \"%d\" \"x\" }}"), "%!d(string=x)");
  EXPECT_EQ(Expand("{{ printf \"%f\" 1 }}"), "%!f(int=1)");
  EXPECT_EQ(Expand("{{ printf \"%d %d\" 1 }}"), "1 %!d(MISSING)");
  EXPECT_EQ(Expand("{{ printf \"%d\" 1 2 }}"), "1%!(EXTRA int=2)");
  EXPECT_EQ(Expand("{{ printf \"%s\" nil }}"), "%!s(<nil>)");
  EXPECT_EQ(Expand("{{ printf \"%v\" $labels }}"),
            "map[alertname:HighErrors instance:web-1:9100 job:node]");
  EXPECT_EQ(Expand("{{ printf \"%c%U\" 65 65 }}"), "AU+0041");
  EXPECT_EQ(
      Expand("{{ printf 1 }}"),
      "INVALID_ARGUMENT: template: t:1:122: executing \"t\" at <1>: expected string; found 1");
}

TEST(TemplateTest, Query) {
  const auto q = Returns({{{{"__name__", "metric"}, {"instance", "a"}}, 11}});
  EXPECT_EQ(Expand("{{ query \"metric{instance='a'}\" | first | value }}", Data(), q), "11");
  EXPECT_EQ(Expand("{{ query \"metric\" | first | label \"instance\" }}", Data(), q), "a");
  EXPECT_EQ(Expand("{{ query \"metric\" | first | label \"foo\" }}", Data(), q), "");
  EXPECT_EQ(Expand("{{ $x := query \"metric\" | first }}{{ $x.Labels.foo }}", Data(), q), "");
  EXPECT_EQ(Expand("{{ with query \"up\" }}{{ . | first | value | humanize }}{{ end }}", Data(),
                   Returns({{{}, 1234567}})),
            "1.235M");
  EXPECT_EQ(Expand("{{ query \"1.5\" | first | value }}", Data(), Returns({{{}, 1.5}})), "1.5");
  EXPECT_EQ(Expand("{{ query \"x\" | first | strvalue }}", Data(),
                   Returns({{{{"__value__", "hello"}}, 0}})),
            "hello");
  const auto two = Returns({{{{"instance", "b"}}, 21}, {{{"instance", "a"}}, 11}});
  EXPECT_EQ(Expand("{{ range query \"metric\" | sortByLabel \"instance\" }}{{.Labels.instance}}:{{."
                   "Value}}: {{end}}",
                   Data(), two),
            "a:11: b:21: ");
  EXPECT_EQ(
      Expand("{{ len (query \"x\") }} {{ (query \"x\" | first).Labels.instance }}", Data(), two),
      "2 b");
}

TEST(TemplateTest, QueryErrors) {
  EXPECT_EQ(Expand("{{ query \"missing\" | first }}", Data(), Returns({})),
            "INVALID_ARGUMENT: template: t:1:133: executing \"t\" at <first>: error calling first: "
            "first() called on vector with no elements");
  EXPECT_EQ(Expand("{{ (query \"missing\").banana }}", Data(), Returns({})),
            "INVALID_ARGUMENT: template: t:1:122: executing \"t\" at <\"missing\">: can't evaluate "
            "field banana in type template.queryResult");
  EXPECT_EQ(Expand("{{ query \"up\" }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <query \"up\">: error calling "
            "query: query function not available");
  const TemplateQueryFn failing =
      [](std::string_view) -> absl::StatusOr<std::vector<TemplateSample>> {
    return absl::InvalidArgumentError("1:1: parse error: unexpected end of input");
  };
  EXPECT_EQ(Expand("{{ query \"(\" }}", Data(), failing),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <query \"(\">: error calling "
            "query: 1:1: parse error: unexpected end of input");
  EXPECT_EQ(
      Expand("{{ first \"x\" }}"),
      "INVALID_ARGUMENT: template: t:1:121: executing \"t\" at <\"x\">: can't handle \"x\" for "
      "arg of type template.queryResult");
  EXPECT_EQ(Expand("{{ $value | first }}"),
            "INVALID_ARGUMENT: template: t:1:124: executing \"t\" at <first>: wrong type for "
            "value; expected template.queryResult; got float64");
}

TEST(TemplateTest, Humanize) {
  EXPECT_EQ(Expand("{{ humanize 0.0 }}:{{ humanize 1.0 }}:{{ humanize 1234567.0 }}:{{ humanize .12 "
                   "}}:{{ humanize 1024 }}:{{ humanize -0.0005 }}"),
            "0:1:1.235M:120m:1.024k:-500u");
  EXPECT_EQ(Expand("{{ humanize1024 0.0 }}:{{ humanize1024 1.0 }}:{{ humanize1024 1048576.0 }}:{{ "
                   "humanize1024 .12 }}:{{ humanize1024 1024 }}"),
            "0:1:1Mi:0.12:1ki");
  const char* d = "{{ range query \"x\" }}{{ humanizeDuration .Value }}:{{ end }}";
  std::vector<TemplateSample> secs;
  for (double v : {0.0, 1.0, 60.0, 3600.0, 86400.0, 86400.0 + 3600,
                   -(86400 * 2 + 3600 * 3 + 60 * 4 + 5.0), 899.99, 90.0}) {
    secs.push_back({{}, v});
  }
  EXPECT_EQ(Expand(d, Data(), Returns(secs)),
            "0s:1s:1m 0s:1h 0m 0s:1d 0h 0m 0s:1d 1h 0m 0s:-2d 3h 4m 5s:14m 59s:1m 30s:");
  std::vector<TemplateSample> frac;
  for (double v : {.1, .0001, .12345, 60.1, 60.5, 1.2345, 12.345}) frac.push_back({{}, v});
  EXPECT_EQ(Expand(d, Data(), Returns(frac)), "100ms:100us:123.5ms:1m 0s:1m 0s:1.234s:12.35s:");
  std::vector<TemplateSample> odd;
  for (double v : {kInf, -kInf, kNaN}) odd.push_back({{}, v});
  EXPECT_EQ(Expand("{{ range query \"x\" }}{{ humanize .Value }}:{{ humanize1024 .Value }}:{{ "
                   "humanizeDuration .Value }}:{{ humanizeTimestamp .Value }}:{{ end }}",
                   Data(), Returns(odd)),
            "+Inf:+Inf:+Inf:+Inf:-Inf:-Inf:-Inf:-Inf:NaN:NaN:NaN:NaN:");
  EXPECT_EQ(
      Expand("{{ -0.22222 | humanizePercentage }}:{{ 0.0 | humanizePercentage }}:{{ 0.1234567 "
             "| humanizePercentage }}:{{ 1.23456 | humanizePercentage }}:{{ humanizePercentage "
             "0.1234 }}"),
      "-22.22%:0%:12.35%:123.5%:12.34%");
  EXPECT_EQ(Expand("{{ 1435065584.128 | humanizeTimestamp }}|{{ humanizeTimestamp 0 }}"),
            "2015-06-23 13:19:44.128 +0000 UTC|1970-01-01 00:00:00 +0000 UTC");
  // Numeric strings are accepted (convertToFloat), as label values often are.
  EXPECT_EQ(Expand("{{ humanize \"1234567\" }} {{ \"0.5\" | humanizePercentage }} {{ humanize1024 "
                   "\"2048\" }}"),
            "1.235M 50% 2ki");
  EXPECT_EQ(Expand("{{ humanize \"x\" }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <humanize \"x\">: error "
            "calling humanize: strconv.ParseFloat: parsing \"x\": invalid syntax");
  EXPECT_EQ(Expand("{{ humanize true }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <humanize true>: error "
            "calling humanize: can't convert bool to float");
  EXPECT_EQ(Expand("{{ humanizeTimestamp 1e20 }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <humanizeTimestamp 1e20>: "
            "error calling humanizeTimestamp: 1e+20 cannot be represented as a nanoseconds "
            "timestamp since it overflows int64");
  EXPECT_EQ(Expand("{{ toTime 1435065584.128 }}"), "2015-06-23 13:19:44.128 +0000 UTC");
}

TEST(TemplateTest, StringFunctions) {
  EXPECT_EQ(
      Expand("{{ \"aa bb CC\" | title }}|{{ \"aa bb CC\" | toUpper }}|{{ \"aA bB CC\" | toLower "
             "}}|{{ title \"hello-world o'neil\" }}"),
      "Aa Bb CC|AA BB CC|aa bb cc|Hello-World O'Neil");
  EXPECT_EQ(Expand("{{ match \"a+\" \"aa\" }} {{ match \"a+\" \"b\" }} {{ match \"^a\" \"ba\" }}"),
            "true false false");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(a)b\" \"x$1\" \"ab\" }}"), "xa");
  EXPECT_EQ(Expand("{{ reReplaceAll \":.*\" \"\" $labels.instance }}"), "web-1");
  EXPECT_EQ(Expand("{{ reReplaceAll \"(?P<h>[a-z]+)-(\\\\d)\" \"${h}_$2$$\" $labels.instance }}"),
            "web_1$:9100");
  EXPECT_EQ(Expand("{{ reReplaceAll \"x*\" \"-\" \"abc\" }}"), "-a-b-c-");
  EXPECT_EQ(Expand("{{ match \"(\" \"x\" }}")
                .rfind("INVALID_ARGUMENT: template: t:1:115: executing "
                       "\"t\" at <match \"(\" \"x\">: error calling "
                       "match: error parsing regexp: ",
                       0),
            0u);
  EXPECT_EQ(Expand("{{ \"<b>\" | safeHtml }}"), "<b>");
  EXPECT_EQ(Expand("{{ graphLink \"up\" }}|{{ tableLink \"rate(x[5m]) > 0\" }}"),
            "/graph?g0.expr=up&g0.tab=0|/graph?g0.expr=rate%28x%5B5m%5D%29+%3E+0&g0.tab=1");
  EXPECT_EQ(Expand("{{ pathPrefix }}|{{ externalURL }}"),
            "/path/prefix|http://testhost:9090/path/prefix");
  EXPECT_EQ(Expand("{{ stripPort \"example.com:8080\" }}|{{ stripPort \"[::1]:80\" }}|{{ stripPort "
                   "\"example.com\" }}|{{ $labels.instance | stripPort }}"),
            "example.com|::1|example.com|web-1");
  EXPECT_EQ(
      Expand("{{ stripDomain \"foo.example.com:8080\" }}|{{ stripDomain \"foo.example.com\" "
             "}}|{{ stripDomain \"192.168.0.1:9090\" }}|{{ stripDomain \"[2001:db8::1]:80\" }}"),
      "foo:8080|foo|192.168.0.1:9090|[2001:db8::1]:80");
  EXPECT_EQ(Expand("{{ parseDuration \"1h30m\" }} {{ parseDuration \"1m\" }} {{ parseDuration "
                   "\"250ms\" }}"),
            "5400 60 0.25");
  EXPECT_EQ(Expand("{{ parseDuration \"x\" }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <parseDuration \"x\">: error "
            "calling parseDuration: not a valid duration string: \"x\"");
}

TEST(TemplateTest, RealAlertTemplates) {
  EXPECT_EQ(
      Expand("{{ $labels.instance }} has {{ $value | humanizePercentage }} errors", Data(0.0712)),
      "web-1:9100 has 7.12% errors");
  EXPECT_EQ(
      Expand("Instance {{ $labels.instance }} of job {{ $labels.job }} has been down for more "
             "than 5 minutes."),
      "Instance web-1:9100 of job node has been down for more than 5 minutes.");
  EXPECT_EQ(
      Expand("Disk {{ $labels.device }} on {{ $labels.instance | reReplaceAll \":[0-9]+\" \"\" "
             "}} is {{ printf \"%.1f\" $value }}% full",
             Data(93.456)),
      "Disk  on web-1 is 93.5% full");
  EXPECT_EQ(Expand("{{ $value | humanize1024 }}B free, latency {{ humanizeDuration $value }}",
                   Data(1536)),
            "1.5kiB free, latency 25m 36s");
  const auto q = Returns({{{{"instance", "db-2"}}, 3}, {{{"instance", "db-1"}}, 0.5}});
  EXPECT_EQ(Expand("Replicas:\n{{ range query \"pg_lag\" | sortByLabel \"instance\" -}}\n"
                   "- {{ .Labels.instance }}: {{ .Value | humanizeDuration }}\n{{ end -}}",
                   Data(), q),
            "Replicas:\n- db-1: 500ms\n- db-2: 3s\n");
  EXPECT_EQ(Expand("[{{ .ExternalLabels.cluster | toUpper }}] {{ $labels.alertname }}: {{ if ge "
                   "$value 0.9 }}critical{{ else }}warning{{ end }}",
                   Data(0.95)),
            "[EU-1] HighErrors: critical");
}

TEST(TemplateTest, ParseErrors) {
  EXPECT_EQ(Expand("{{ humanise $value }}"),
            "PARSE: template: t:1: function \"humanise\" not defined");
  EXPECT_EQ(Expand("{{"), "PARSE: template: t:1: unclosed action");
  EXPECT_EQ(Expand("a\n{{ if }}"), "PARSE: template: t:2: missing value for if");
  EXPECT_EQ(Expand("{{ end }}"), "PARSE: template: t:1: unexpected {{end}}");
  EXPECT_EQ(Expand("{{ if true }}x"), "PARSE: template: t:1: unexpected EOF");
  EXPECT_EQ(Expand("{{ $x }}"), "PARSE: template: t:1: undefined variable \"$x\"");
  EXPECT_EQ(Expand("{{ 1 | 2 }}"),
            "PARSE: template: t:1: non executable command in pipeline stage 2");
  EXPECT_EQ(Expand("{{ \"a }}"), "PARSE: template: t:1: unterminated quoted string");
  EXPECT_EQ(Expand("{{ . }"), "PARSE: template: t:1: unexpected \"}\" in operand");
  EXPECT_EQ(Expand("{{ (1 }}"), "PARSE: template: t:1: unclosed left paren");
  EXPECT_EQ(Expand("{{ 3x }}"), "PARSE: template: t:1: bad number syntax: \"3x\"");
  EXPECT_EQ(Expand("{{ \xc2\xa0 }}"),
            "PARSE: template: t:1: unrecognized character in action: U+00A0");
  EXPECT_EQ(Expand("{{/* x */ 1 }}"),
            "PARSE: template: t:1: comment ends before closing delimiter");
  EXPECT_EQ(Expand("{{ if true }}\n{{ else }}\n{{ else }}{{ end }}"),
            "PARSE: template: t:3: expected end; found {{else}}");
  EXPECT_EQ(Expand("{{ range $a, $b, $c := . }}{{ end }}"),
            "PARSE: template: t:1: too many declarations in range");
  EXPECT_EQ(Expand("{{ 1.foo }}"), "PARSE: template: t:1: bad number syntax: \"1.f\"");
  EXPECT_EQ(Expand("{{ true.foo }}"), "PARSE: template: t:1: unexpected . after term \"true\"");
  EXPECT_EQ(Expand("{{ printf \"%d\"\n 1 "),
            "PARSE: template: t:2: unclosed action started at t:1");
  EXPECT_EQ(Expand("{{ 99999999999999999999 }}"),
            "PARSE: template: t:1: integer overflow: \"99999999999999999999\"");
  // Multi-byte runes (a fuzzer find: a mis-decoded rune once read as a space).
  EXPECT_EQ(Expand("{{\xd0\x89"), "PARSE: template: t:1: function \"\xd0\x89\" not defined");
  EXPECT_EQ(Expand("{{ \xc0\x89 }}"),
            "PARSE: template: t:1: unrecognized character in action: U+FFFD");
  EXPECT_EQ(Expand("\xc3\xa9{{ \"\xc3\xa9\" }}"), "\xc3\xa9\xc3\xa9");
  // Nesting is bounded, whatever the input.
  std::string deep;
  for (int i = 0; i < 200; ++i) deep += "{{ if true }}";
  EXPECT_EQ(Expand(deep), "PARSE: template: t:1: max expression depth exceeded");
  EXPECT_EQ(Expand("{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}"),
            "PARSE: template: t:1: max expression depth exceeded");
}

TEST(TemplateTest, ExecutionErrors) {
  EXPECT_EQ(Expand("{{ $value.foo }}"),
            "INVALID_ARGUMENT: template: t:1:121: executing \"t\" at <$value.foo>: can't evaluate "
            "field foo in type float64");
  EXPECT_EQ(Expand("{{ .Nope }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <.Nope>: can't evaluate field "
            "Nope in type struct { Labels map[string]string; ExternalLabels map[string]string; "
            "ExternalURL string; Value float64 }");
  EXPECT_EQ(Expand("line 1\n  {{ humanize \"x\" }}"),
            "INVALID_ARGUMENT: template: t:2:5: executing \"t\" at <humanize \"x\">: error calling "
            "humanize: strconv.ParseFloat: parsing \"x\": invalid syntax");
  EXPECT_EQ(
      Expand("{{ toUpper 1 }}"),
      "INVALID_ARGUMENT: template: t:1:123: executing \"t\" at <1>: expected string; found 1");
  EXPECT_EQ(Expand("{{ toUpper }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <toUpper>: wrong number of "
            "args for toUpper: want 1 got 0");
  EXPECT_EQ(Expand("{{ nil }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <nil>: nil is not a command");
  EXPECT_EQ(Expand("{{ $value 1 }}"),
            "INVALID_ARGUMENT: template: t:1:115: executing \"t\" at <$value>: can't give argument "
            "to non-function $value");
}

TEST(TemplateTest, Caps) {
  std::vector<TemplateSample> many(200'000);
  auto out = Expand("{{ range query \"x\" }}.{{ end }}", Data(), Returns(many));
  EXPECT_EQ(out.rfind("RESOURCE_EXHAUSTED: ", 0), 0u) << out;
  EXPECT_NE(out.find("evaluation exceeded 100000 steps"), std::string::npos) << out;

  std::vector<TemplateSample> some(200);
  out = Expand("{{ range query \"x\" }}{{ printf \"%10000s\" \"\" }}{{ end }}", Data(),
               Returns(some));
  EXPECT_EQ(out.rfind("RESOURCE_EXHAUSTED: ", 0), 0u) << out;
  EXPECT_NE(out.find("output exceeds 1048576 bytes"), std::string::npos) << out;

  out = Expand("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" }}");
  EXPECT_EQ(out.rfind("RESOURCE_EXHAUSTED: ", 0), 0u) << out;
  EXPECT_NE(out.find("exceeded maximum template depth (100)"), std::string::npos) << out;

  // Exponential fan-out is stopped by the step count, not the depth.
  out = Expand(
      "{{ define \"r\" }}{{ template \"r\" . }}{{ template \"r\" . }}{{ end }}{{ template "
      "\"r\" }}");
  EXPECT_EQ(out.rfind("RESOURCE_EXHAUSTED: ", 0), 0u) << out;

  // Doubling a string through variables is stopped before memory runs out.
  std::string doubling = "{{ $x := \"0123456789\" }}";
  for (int i = 0; i < 30; ++i) doubling += "{{ $x = print $x $x }}";
  out = Expand(doubling);
  EXPECT_EQ(out.rfind("RESOURCE_EXHAUSTED: ", 0), 0u) << out;
}

TEST(TemplateTest, ParseOnceExecuteMany) {
  auto tmpl = Template::Parse("__alert_X", "{{ $labels.instance }}={{ $value }}");
  ASSERT_TRUE(tmpl.ok());
  EXPECT_EQ(tmpl->name(), "__alert_X");
  const Template copy = *tmpl;
  for (int i = 0; i < 3; ++i) {
    TemplateData d = Data(i);
    EXPECT_EQ(*copy.Execute(d), "web-1:9100=" + std::to_string(i));
  }
}

}  // namespace
}  // namespace plumbline::query
