#include "studio_state.hpp"

namespace shopflow::studio {

void load_bundle_text(StudioState& state, std::string path, std::string text) {
  state.file = BundleFile{std::move(path), std::move(text)};
  state.load_error.clear();
  state.check = BundleCheck{};
  auto r = load_bundle(state.file.text);
  if (!r) {
    state.load_error = r.error().to_string();
    state.loaded = false;
    return;
  }
  state.check = std::move(r.value());
  state.loaded = true;
}

std::string status_json(const StudioState& state) {
  Json workflows = Json::array();
  for (const auto& w : state.check.bundle.workflows) workflows.push_back({{"id", w.id}, {"event", w.trigger.event}});
  Json out = {{"frames", state.frames},
              {"loaded", state.loaded},
              {"path", state.file.path},
              {"bundle", state.check.bundle.name},
              {"workflowCount", state.check.bundle.workflows.size()},
              {"workflows", workflows},
              {"problems", state.check.problems.size()},
              {"error", state.load_error}};
  return out.dump();
}

}  // namespace shopflow::studio
