// The parsed form of an alert template (query/template.h) and the values it computes with.
// Three files share it: template_parse.cc builds a TemplateTree from text, template_exec.cc
// walks one, template_funcs.cc holds the functions and Go's fmt. Nothing here is public API.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "query/template.h"

namespace plumbline::query::internal {

// A failure anywhere below Template::Parse / Execute: thrown, like Go's panics, and turned
// into a Status at the top. The message is complete (Go's "template: ..." wording).
struct TemplateError {
  absl::StatusCode code;
  std::string message;
};

// The caps of Execute (query/template.h documents them).
inline constexpr size_t kMaxOutputBytes = 1 << 20;
inline constexpr int64_t kMaxSteps = 100'000;
inline constexpr int kMaxTemplateDepth = 100;
inline constexpr int kMaxExecDepth = 1000;
// Parser nesting (parentheses and control blocks together): keeps the recursive descent and
// the tree walk well inside the stack whatever the input.
inline constexpr int kMaxParseDepth = 100;

struct ArgsMap;

// Go's dynamic types, as far as templates over TemplateData can produce them. The names
// Go prints for them (GoTypeName) appear in error messages.
enum class ValueKind {
  kInvalid,  // no value / untyped nil: prints "<no value>"
  kBool,
  kInt,
  kFloat,
  kString,
  kHTML,     // html/template.HTML, from safeHtml
  kLabels,   // map[string]string
  kSample,   // *template.sample (may be nil)
  kSamples,  // template.queryResult
  kData,     // the alert data struct
  kArgs,     // map[string]interface {}, from args
  kTime,     // *time.Time, from toTime (i = Unix nanoseconds)
};

struct Value {
  ValueKind kind = ValueKind::kInvalid;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::shared_ptr<const std::map<std::string, std::string>> labels;
  std::shared_ptr<const TemplateSample> sample;
  std::shared_ptr<const std::vector<TemplateSample>> samples;
  std::shared_ptr<const ArgsMap> args;
  const TemplateData* data = nullptr;

  static Value Bool(bool v);
  static Value Int(int64_t v);
  static Value Float(double v);
  static Value String(std::string v);
};

struct ArgsMap {
  std::map<std::string, Value> values;
};

enum class NodeType {
  kText,
  kAction,
  kBool,
  kChain,
  kCommand,
  kDot,
  kField,
  kIdentifier,
  kIf,
  kList,
  kNil,
  kNumber,
  kPipe,
  kRange,
  kString,
  kTemplate,
  kVariable,
  kWith,
  kBreak,
  kContinue,
  kElse,  // parser-internal
  kEnd,   // parser-internal
};

// One node of Go's parse tree (text/template/parse); which members matter depends on type.
struct Node {
  NodeType type;
  int pos = 0;         // byte offset into TemplateTree::text, as Go's Pos
  std::string text;    // kText: text; kString: value; kNumber: literal; kIdentifier/kTemplate: name
  std::string quoted;  // kString: the literal as written
  std::vector<std::string> idents;           // kField (no dots), kVariable ($x then fields), kChain
  std::vector<std::unique_ptr<Node>> nodes;  // kList: items; kCommand: args; kPipe: commands
  std::vector<std::unique_ptr<Node>> decl;   // kPipe: declared/assigned variables
  bool is_assign = false;                    // kPipe: `=` rather than `:=`
  std::unique_ptr<Node> pipe;                // kAction, kIf, kRange, kWith, kTemplate
  std::unique_ptr<Node> list, else_list;     // kIf, kRange, kWith
  std::unique_ptr<Node> operand;             // kChain: the term the fields apply to
  bool b = false;                            // kBool
  bool ideal_float = false;                  // kNumber: Go's idealConstant gives a float64
  int64_t i = 0;                             // kNumber as int
  double f = 0;                              // kNumber as float
  int func = -1;                             // kIdentifier: FuncId

  // Go's Node.String(): the error context "at <...>".
  std::string String() const;
};

// The functions a template may call, Go's built-ins then Prometheus'.
enum FuncId {
  kFnAnd,
  kFnOr,
  kFnNot,
  kFnLen,
  kFnIndex,
  kFnSlice,
  kFnPrint,
  kFnPrintf,
  kFnPrintln,
  kFnHtml,
  kFnJs,
  kFnUrlquery,
  kFnEq,
  kFnNe,
  kFnLt,
  kFnLe,
  kFnGt,
  kFnGe,
  kFnQuery,
  kFnFirst,
  kFnLabel,
  kFnValue,
  kFnStrvalue,
  kFnSortByLabel,
  kFnHumanize,
  kFnHumanize1024,
  kFnHumanizeDuration,
  kFnHumanizePercentage,
  kFnHumanizeTimestamp,
  kFnToTime,
  kFnTitle,
  kFnToUpper,
  kFnToLower,
  kFnMatch,
  kFnReReplaceAll,
  kFnSafeHtml,
  kFnArgs,
  kFnGraphLink,
  kFnTableLink,
  kFnPathPrefix,
  kFnExternalURL,
  kFnStripPort,
  kFnStripDomain,
  kFnParseDuration,
  kFnCount,
};

// The FuncId of `name`, or -1.
int LookupFunc(std::string_view name);
const char* FuncName(int id);

struct TemplateTree {
  std::string name;
  std::string text;  // the four definitions + the user's text: Node::pos indexes this
  // The user's text when it holds no action: Execute copies it.
  bool plain = false;
  std::string plain_text;
  // Every template by name: the main one under `name`, then each define/block.
  std::map<std::string, std::unique_ptr<Node>> templates;
};

// Parses `text` (the definitions already prepended) into a tree; throws TemplateError.
std::shared_ptr<TemplateTree> ParseTree(std::string_view name, std::string text);

// Walks the tree's main template; throws TemplateError.
std::string ExecuteTree(const TemplateTree& tree, const TemplateData& data,
                        const TemplateQueryFn& query);

// --- template_funcs.cc -------------------------------------------------------------------

// Go's name of the value's dynamic type ("float64", "map[string]string", ...).
std::string GoTypeName(const Value& v);
// fmt.Sprint of one value (what {{ x }} prints).
std::string FormatValue(const Value& v);
// fmt.Sprint(args...): spaces between operands when neither side is a string.
std::string Sprint(const std::vector<Value>& args);
std::string Sprintln(const std::vector<Value>& args);
// fmt.Sprintf with Go's verbs and its %!verb(type=value) error notation.
std::string Sprintf(std::string_view format, const std::vector<Value>& args);
// strconv.Quote.
std::string GoQuote(std::string_view s);
// Go's truth of a value for if/with/and/or/not.
bool IsTrue(const Value& v);

// Calls a non-builtin-control function with evaluated arguments. Returns the result or
// throws FuncError (the executor adds "error calling NAME: ").
struct FuncError {
  std::string message;
};
struct FuncContext {
  const TemplateData* data;
  const TemplateQueryFn* query;
};
Value CallFunc(int id, std::vector<Value>& args, const FuncContext& ctx);

}  // namespace plumbline::query::internal
