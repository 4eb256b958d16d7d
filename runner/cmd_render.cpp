// `shopflow render TEMPLATE [--data DATA.json] [--strict] [--partials DIR]`: renders a Liquid
// template against JSON data and prints exactly the result (nothing added, no trailing newline).
// Errors go to stderr as FILE:LINE:COLUMN: message. With `--run RUN --trace T [STEP]` the data
// is what that step of a simulated run saw, and without a template the step's own parameters
// are rendered.
// Exit codes: 0 rendered, 1 the template or the data is wrong (or a limit was reached),
// 2 bad usage or an unreadable file.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli_util.hpp"
#include "commands.hpp"
#include "run_data.hpp"
#include "shopflow/bundle.hpp"
#include "shopflow/json.hpp"
#include "shopflow/template.hpp"

namespace shopflow::cli {

namespace {

const char* kUsage =
    "Usage: shopflow render TEMPLATE [--data DATA.json] [--bundle BUNDLE.json] [--strict] [--partials DIR]\n"
    "       shopflow render [TEMPLATE] --bundle BUNDLE.json --run RUN --trace TRACE.json [STEP]\n"
    "                       [--events FILE.jsonl]\n"
    "\n"
    "Renders a Liquid template (Shopify's dialect, with the json and money filters) against JSON\n"
    "data and prints exactly the result on standard output.\n"
    "\n"
    "  TEMPLATE          the template file, or - to read standard input\n"
    "  --data FILE       the data: a JSON object whose keys are the template's variables\n"
    "                    (default {}); its \"now\" field is the time 'now' | date uses\n"
    "  --bundle B        as the template renders in that bundle: its templates as partials,\n"
    "                    its money formats, strict when it says strict_templates, and\n"
    "                    trigger read as event\n"
    "  --strict          strict mode: bad syntax, unknown tags and filters, and undefined\n"
    "                    variables are errors (default: lax, as Shopify renders themes)\n"
    "  --partials DIR    where {% render 'name' %} and {% include 'name' %} find DIR/name.liquid\n"
    "  --money-format F  the shop's money format for the money filter (default \"${{amount}}\")\n"
    "  --run RUN --trace T   (with --bundle) the data that run of a `shopflow simulate --trace T`\n"
    "                    saw just before STEP (a step path such as check/then/notify, also\n"
    "                    --step STEP; default: after its last step); without TEMPLATE, STEP's\n"
    "                    own parameters (an action's, an emit's data) rendered, as JSON\n"
    "  --events FILE     the events that simulation ran on (default: the bundle's samples);\n"
    "                    the trace names each run's event but does not repeat its data\n"
    "\n"
    "Exit status: 0 rendered, 1 template or data error, 2 bad usage or unreadable file.\n";

void print_error(const std::string& file, const Error& e) {
  if (e.line > 0) {
    std::fprintf(stderr, "%s:%d:%d: %s\n", file.c_str(), e.line, e.column, e.message.c_str());
  } else {
    std::fprintf(stderr, "%s: %s\n", file.c_str(), e.message.c_str());
  }
}

// A partial name must stay inside the partials folder.
bool safe_partial_name(const std::string& name) {
  if (name.empty() || name[0] == '/' || name.find('\\') != std::string::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string part = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return true;
}

// Renders a step's own parameters (an action's; an emit's data) on the data it saw, as JSON.
int render_step(const Bundle& bundle, const RunData& at, const std::string& path) {
  const Step* st = at.step;
  if (!st || (st->kind != StepKind::Action && st->kind != StepKind::Emit)) {
    std::fprintf(stderr, "shopflow render: step %s has no parameters to render (it is not an action or an emit); give a template\n",
                 path.c_str());
    return 1;
  }
  Json out = Json::object();
  if (st->kind == StepKind::Emit) {
    auto v = compute_at(bundle, st->emit_data, at.data, at.tables);
    if (!v) {
      print_error("step " + path + " data", v.error());
      return 1;
    }
    out = std::move(v.value());
  } else {
    for (const auto& [name, computed] : st->params) {
      auto v = compute_at(bundle, computed, at.data, at.tables);
      if (!v) {
        print_error("step " + path + " " + name, v.error());
        return 1;
      }
      out[name] = std::move(v.value());
    }
  }
  std::printf("%s\n", out.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace

int cmd_render(int argc, char** argv) {
  std::string template_path, data_path, partials_dir, bundle_path, run_id, trace_path, step_path, events_path;
  std::vector<std::string> positional;
  liquid::Options options;
  bool strict = false, money_format = false;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (is_help(argv[i])) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "shopflow render: %s needs a value\n\n%s", name, kUsage);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--data") {
      const char* v = value("--data");
      if (!v) return 2;
      data_path = v;
    } else if (arg == "--partials") {
      const char* v = value("--partials");
      if (!v) return 2;
      partials_dir = v;
    } else if (arg == "--money-format") {
      const char* v = value("--money-format");
      if (!v) return 2;
      options.money_format = v;
      money_format = true;
    } else if (arg == "--bundle") {
      const char* v = value("--bundle");
      if (!v) return 2;
      bundle_path = v;
    } else if (arg == "--run" || arg == "--trace" || arg == "--step" || arg == "--events") {
      const char* v = value(arg.c_str());
      if (!v) return 2;
      (arg == "--run" ? run_id : arg == "--trace" ? trace_path : arg == "--step" ? step_path : events_path) = v;
    } else if (arg == "--strict") {
      strict = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "shopflow render: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    } else {
      positional.push_back(arg);
    }
  }
  const bool from_run = !run_id.empty();
  if (from_run != !trace_path.empty()) {
    std::fputs("shopflow render: --run and --trace go together: the run, and the trace that has it\n", stderr);
    return 2;
  }
  if (!from_run && (!step_path.empty() || !events_path.empty())) {
    std::fputs("shopflow render: --step and --events need --run and --trace\n", stderr);
    return 2;
  }
  if (from_run && (bundle_path.empty() || !data_path.empty())) {
    std::fputs("shopflow render: --run needs --bundle (the bundle the trace was made with) and gives the data itself (no --data)\n", stderr);
    return 2;
  }
  // With --run: [TEMPLATE] [STEP]; a lone argument that is not a file or - is the step.
  if (from_run && step_path.empty() && !positional.empty()) {
    const std::string& last = positional.back();
    std::FILE* f = last == "-" ? nullptr : std::fopen(last.c_str(), "rb");
    if (f) std::fclose(f);
    if (positional.size() == 2 || (last != "-" && !f)) {
      step_path = last;
      positional.pop_back();
    }
  }
  if (positional.size() > 1) {
    std::fprintf(stderr, "shopflow render: one template at a time (got %s and %s)\n", positional[0].c_str(),
                 positional[1].c_str());
    return 2;
  }
  if (!positional.empty()) template_path = positional[0];
  if (template_path.empty() && !(from_run && !step_path.empty())) {
    std::fprintf(stderr, "shopflow render: which template?\n\n%s", kUsage);
    return 2;
  }
  if (template_path == "-" && data_path == "-") {
    std::fputs("shopflow render: the template and the data cannot both come from standard input\n", stderr);
    return 2;
  }

  std::optional<BundleCheck> bundle;
  if (!bundle_path.empty()) {
    if (!partials_dir.empty()) {
      std::fputs("shopflow render: --bundle brings its own partials; leave out --partials\n", stderr);
      return 2;
    }
    bundle = read_usable_bundle(bundle_path, "render");
    if (!bundle) return 1;
    std::string money = options.money_format;
    options = template_options(bundle->bundle);
    if (money_format) options.money_format = money;
    options.root_aliases = {{"trigger", "event"}};  // as in an event run
  }
  if (strict) options.mode = liquid::Mode::Strict;

  Json data = Json::object();
  if (from_run) {
    int status = 0;
    auto at = step_data(bundle->bundle, run_id, trace_path, step_path, events_path, "render", &status);
    if (!at) return status;
    if (template_path.empty()) return render_step(bundle->bundle, *at, step_path);
    data = std::move(at->data);
  }
  if (!data_path.empty()) {
    auto text = read_input(data_path);
    if (!text) return 2;
    auto parsed = parse_json(*text, "data");
    if (!parsed) {
      print_error(data_path, parsed.error());
      return 1;
    }
    data = std::move(parsed).value();
  }

  std::map<std::string, std::string> loaded;
  if (!partials_dir.empty()) {
    options.partials = [&loaded, &partials_dir](const std::string& name) -> const std::string* {
      auto it = loaded.find(name);
      if (it != loaded.end()) return &it->second;
      if (!safe_partial_name(name)) return nullptr;
      std::ifstream in(partials_dir + "/" + name + ".liquid", std::ios::binary);
      if (!in) return nullptr;
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      return &loaded.emplace(name, std::move(text)).first->second;
    };
  }

  auto source = read_input(template_path);
  if (!source) return 2;
  std::string shown = template_path == "-" ? "<stdin>" : template_path;
  auto tpl = liquid::Template::parse(*source, options);
  if (!tpl) {
    print_error(shown, tpl.error());
    return 1;
  }
  auto out = tpl.value().render(data, options);
  if (!out) {
    print_error(shown, out.error());
    return 1;
  }
  const std::string& text = out.value();
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    std::fputs("shopflow render: could not write the output\n", stderr);
    return 2;
  }
  return std::fflush(stdout) == 0 ? 0 : 2;
}

}  // namespace shopflow::cli
