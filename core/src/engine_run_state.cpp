// Run-state encoding: see engine_run_state.hpp.
#include "engine_run_state.hpp"

namespace shopflow::engine {

namespace {

Json frame_to_json(const Frame& f) {
  Json j = {{"list", f.list}, {"pc", f.pc}, {"prefix", f.prefix}};
  if (f.loop) {
    j["step"] = f.step;
    j["items"] = f.items;
    j["index"] = f.index;
    j["base"] = f.base;
  }
  return j;
}

Frame frame_from_json(const Json& j) {
  Frame f;
  f.list = j.value("list", size_t{0});
  f.pc = j.value("pc", size_t{0});
  f.prefix = j.value("prefix", std::string());
  if (j.contains("step")) {
    f.loop = true;
    f.step = j.value("step", size_t{0});
    f.items = j.value("items", Json::array());
    f.index = j.value("index", size_t{0});
    f.base = j.value("base", std::string());
  }
  return f;
}

}  // namespace

std::string waiting_state_text(const RunState& rs) {
  Json stack = Json::array();
  for (const auto& f : rs.stack) stack.push_back(frame_to_json(f));
  Json state = {{"ctx", rs.ctx}, {"stack", std::move(stack)}, {"count", rs.count},
                {"seq", rs.seq}, {"depth", rs.depth}, {"wait", rs.wait}};
  return json_text(state);
}

void write_finished_state(const RunState& rs, std::string& out) {
  out.assign("{\"vars\":");
  auto vars = rs.ctx.find("vars");
  if (vars == rs.ctx.end()) {
    out += "null";
  } else {
    append_json(out, *vars);
  }
  out += ",\"seq\":";
  out += std::to_string(rs.seq);
  out += '}';
}

bool restore_run(const RunRow& row, const Bundle& bundle, RunState* rs) {
  rs->row = row;
  rs->stored_status = row.status;
  rs->wf = bundle.find_workflow(row.workflow);
  auto state = parse_json(row.state, "run state");
  if (!state || !rs->wf) return false;
  const Json& s = state.value();
  rs->ctx = s.value("ctx", Json::object());
  for (const auto& f : s.value("stack", Json::array())) rs->stack.push_back(frame_from_json(f));
  rs->count = s.value("count", size_t{0});
  rs->seq = s.value("seq", 0);
  rs->depth = s.value("depth", 0);
  rs->wait = s.value("wait", Json());
  if (!rs->wait.is_object() || rs->wait.value("step", SIZE_MAX) >= rs->wf->steps.size()) return false;
  // A reloaded bundle may have moved steps: the saved position must still name the same step.
  if (rs->wait.value("id", std::string()) != rs->wf->steps[rs->wait["step"].get<size_t>()].id) return false;
  for (const Frame& f : rs->stack) {
    if (f.list >= rs->wf->lists.size() || f.pc > rs->wf->lists[f.list].size()) return false;
  }
  return true;
}

}  // namespace shopflow::engine
