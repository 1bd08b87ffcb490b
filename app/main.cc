// plumbline: the one binary. Subcommands and their flags (CLI11 stays in this file).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "CLI/CLI.hpp"
#include "app/check_command.h"
#include "app/config.h"
#include "app/drill_command.h"
#include "app/event_command.h"
#include "app/export_command.h"
#include "app/import_command.h"
#include "app/query_command.h"
#include "app/serve.h"
#include "app/signals.h"
#include "common/build_info.h"
#include "common/log.h"

namespace plumbline::app {
namespace {

struct ServeFlags {
  std::string config_path;
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;  // repeatable settings
  std::map<std::string, CLI::Option*> options;
};

void AddServe(CLI::App& app, ServeFlags* flags) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Run the server: StatsD in, storage, PromQL API, dashboards (no config needed)");
  serve
      ->add_option("--config", flags->config_path,
                   "YAML config file; its keys are the flag names without --")
      ->check(CLI::ExistingFile);
  for (const Setting& s : ServeSettings()) {
    const std::string help =
        s.default_value.empty() ? s.help : s.help + " (default " + s.default_value + ")";
    flags->options[s.name] = s.clear
                                 ? serve->add_option("--" + s.name, flags->lists[s.name], help)
                                 : serve->add_option("--" + s.name, flags->values[s.name], help);
  }
}

void AddImport(CLI::App& app, ImportFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "import",
      "Bulk-load Prometheus text (ms timestamps) or OpenMetrics text (s timestamps, # EOF), into "
      "a stopped store (--data-dir) or a running server (--server)");
  cmd->add_option("--data-dir", flags->data_dir, "Store to load into (default ./data)");
  cmd->add_option("--server", flags->server, "URL of a running server, e.g. http://127.0.0.1:8080");
  cmd->add_option("--token", flags->token, "Bearer token for --server");
  cmd->add_option("--format", flags->format,
                  "auto (default: '.' in a timestamp means seconds), prometheus, openmetrics");
  cmd->add_option(
      "--retention", flags->retention,
      "Offline: samples older than this are refused, as the server would (default 15d)");
  cmd->add_option("FILE", flags->file, "File to import, or - for stdin")->required();
}

void AddQuery(CLI::App& app, QueryFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "query",
      "Run a PromQL query on a server and print the result as a table (a range query with any "
      "of --start, --end, --step)");
  cmd->add_option("EXPR", flags->expr, "PromQL expression")->required();
  cmd->add_option("--server", flags->server, "URL of the server (default http://127.0.0.1:8080)");
  cmd->add_option("--token", flags->token, "Bearer token for --server");
  cmd->add_option("--time", flags->time,
                  "Instant query time: unix seconds or RFC 3339 (default the server's now)");
  cmd->add_option("--start", flags->start, "Range query start (default --end minus 5m)");
  cmd->add_option("--end", flags->end, "Range query end (default now)");
  cmd->add_option("--step", flags->step,
                  "Range query step: seconds or a duration like 1m (default range / 250, at "
                  "least 1s)");
}

// `deploy` (type deploy) and `event` (any type): the same flags.
void AddEvent(CLI::App& app, const char* name, const char* help, EventFlags* flags) {
  CLI::App* cmd = app.add_subcommand(name, help);
  if (std::string_view(name) == "event") {
    cmd->add_option("--type", flags->type,
                    "deploy, flag, config, incident, note (or a type the server accepts)")
        ->required();
  }
  cmd->add_option("--service", flags->service, "The service it changed, e.g. api");
  cmd->add_option("--who", flags->who, "Who did it (default: $USER)");
  cmd->add_option("--what", flags->what,
                  "What changed (default in a git checkout: the commit's short sha and subject)");
  cmd->add_option("--url", flags->url, "A link: the pipeline run, the pull request");
  cmd->add_option("--env", flags->env, "Environment, e.g. prod");
  cmd->add_option("--time", flags->time,
                  "When: unix seconds or RFC 3339 (default: now on the server)");
  cmd->add_option("--end", flags->end, "When it ended, for a change that took a while");
  cmd->add_option("--tag", flags->tags, "A tag name=value (repeatable)");
  cmd->add_option("--server", flags->server, "URL of the server (default http://127.0.0.1:8080)");
  cmd->add_option("--token", flags->token, "Bearer token (default: $PLUMBLINE_TOKEN)");
  cmd->footer("Exit codes: 0 recorded, 1 refused by the server, 2 bad usage, 3 server unreachable");
}

void AddCompact(CLI::App& app, std::string* data_dir) {
  CLI::App* cmd = app.add_subcommand("compact", "Fully compact a stopped store");
  cmd->add_option("--data-dir", *data_dir, "Store to compact (default ./data)");
}

void AddExport(CLI::App& app, ExportFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "export", "Print a stopped store's samples as Prometheus text (ms timestamps)");
  cmd->add_option("--data-dir", flags->data_dir, "Store to read (default ./data)");
  cmd->add_option("--metric", flags->metric, "Regex over metric names (default .+)");
  cmd->add_option("--start", flags->start_ms, "First timestamp, unix ms");
  cmd->add_option("--end", flags->end_ms, "Last timestamp, unix ms");
}

void AddDrill(CLI::App& app, DrillFlags* flags) {
  CLI::App* cmd = app.add_subcommand(
      "drill",
      "Fire drill: a running server sends a clearly marked test alert through every "
      "Alertmanager and chat notifier, and this prints what each did");
  cmd->add_option("--service", flags->service, "The service the test alert names, e.g. api");
  cmd->add_option("--server", flags->server, "URL of the server (default http://127.0.0.1:8080)");
  cmd->add_option("--token", flags->token, "Bearer token (default: $PLUMBLINE_TOKEN)");
  cmd->footer(
      "Exit codes: 0 every destination took it, 1 one failed or none is configured, "
      "3 server unreachable");
}

void AddCheck(CLI::App& app, std::vector<std::string>* rule_files) {
  CLI::App* check = app.add_subcommand("check", "Check files as the server would load them");
  check->require_subcommand(1);
  CLI::App* rules =
      check->add_subcommand("rules", "Check Prometheus rule files (as promtool check rules does)");
  rules->add_option("FILE", *rule_files, "Rule files")->required();
}

// Config file first, then the flags given on the command line (flags win).
absl::Status BuildServeConfig(const ServeFlags& flags, ServeConfig* config) {
  if (!flags.config_path.empty()) {
    absl::Status s = LoadConfigFile(flags.config_path, config);
    if (!s.ok()) return s;
  }
  for (const Setting& s : ServeSettings()) {
    if (flags.options.at(s.name)->count() == 0) continue;
    if (s.clear) {
      s.clear(config);
      for (const std::string& value : flags.lists.at(s.name)) {
        absl::Status status = ApplySetting(s, value, "flag --" + s.name, config);
        if (!status.ok()) return status;
      }
      continue;
    }
    absl::Status status = ApplySetting(s, flags.values.at(s.name), "flag --" + s.name, config);
    if (!status.ok()) return status;
  }
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  BlockShutdownSignals();  // before any thread starts, so every thread inherits the mask
  CLI::App app{"Plumbline: shared metrics for teams that deploy often"};
  app.set_version_flag("--version", std::string("plumbline ") + kVersion + " (" + kRevision + ")");
  app.require_subcommand(1);
  ServeFlags serve_flags;
  AddServe(app, &serve_flags);
  ImportFlags import_flags;
  AddImport(app, &import_flags);
  QueryFlags query_flags;
  AddQuery(app, &query_flags);
  std::string compact_dir = "./data";
  AddCompact(app, &compact_dir);
  ExportFlags export_flags;
  AddExport(app, &export_flags);
  EventFlags deploy_flags;
  AddEvent(app, "deploy", "Record a deploy in a server's deploy log (one step of a pipeline)",
           &deploy_flags);
  EventFlags event_flags;
  AddEvent(app, "event",
           "Record another change in the deploy log: a feature-flag flip, a config push, an "
           "incident, a note",
           &event_flags);
  DrillFlags drill_flags;
  AddDrill(app, &drill_flags);
  std::vector<std::string> rule_files;
  AddCheck(app, &rule_files);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2, whatever CLI11's own code.
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (app.got_subcommand("deploy")) return RunEvent(deploy_flags);
  if (app.got_subcommand("event")) return RunEvent(event_flags);

  if (app.got_subcommand("drill")) return RunDrill(drill_flags);
  if (app.got_subcommand("check")) return RunCheckRules(rule_files);

  if (app.got_subcommand("import")) return RunImport(import_flags);
  if (app.got_subcommand("query")) return RunQuery(query_flags);
  if (app.got_subcommand("compact")) return RunCompact(compact_dir);
  if (app.got_subcommand("export")) return RunExport(export_flags);

  if (app.got_subcommand("serve")) {
    ServeConfig config;
    absl::Status s = BuildServeConfig(serve_flags, &config);
    if (!s.ok()) {
      PL_LOG(Error) << s.message();
      return 2;
    }
    return RunServe(config);
  }
  return 2;
}

}  // namespace
}  // namespace plumbline::app

int main(int argc, char** argv) { return plumbline::app::Main(argc, argv); }
