// The Runner panel: connects to a running `shopflow serve` (its URL and a token kept in this
// tab's sessionStorage only), shows the version it has deployed and what the edit changes
// against it, loads production events as the sample data, lists production runs and steps
// through one with its explanations, backtests the edit over production's events
// (runner_backtest.cpp), deploys it after a confirmation, and rolls back to an earlier
// version. Nothing is sent to the runner except on a click.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "browser.hpp"
#include "bundle_diff.hpp"
#include "doc_edit.hpp"
#include "panels.hpp"
#include "run_trace.hpp"
#include "runner_backtest.hpp"
#include "runner_client.hpp"
#include "ui_util.hpp"

namespace shopflow::studio {

namespace {

// The tab's sessionStorage key of the connection (URL and token): gone when the tab closes,
// never in localStorage, never in the exported bundle.
constexpr const char* kSessionKey = "shopflow.studio.runner";
constexpr size_t kRunsPage = 200;

bool connected(const RunnerState& r) { return r.link == RunnerState::Link::Connected; }

void remember(const RunnerState& r) {
  Json j = {{"url", r.url}, {"token", r.token}};
  session_set(kSessionKey, j.dump());
}

void connect(StudioState& state) {
  RunnerState& r = state.runner;
  remember(r);
  r.link = RunnerState::Link::Connecting;
  r.error.clear();
  runner_send(state, RunnerCall::Bundle, "GET", "/v1/bundle");
}

// [SECTION] Answers

void bundle_answered(StudioState& state, int status, const std::string& body) {
  RunnerState& r = state.runner;
  if (status != 200) {
    r.link = RunnerState::Link::Failed;
    r.error = answer_error(r, status, body);
    return;
  }
  auto j = parse_json(body, "GET /v1/bundle");
  if (!j || !j.value().is_object()) {
    r.link = RunnerState::Link::Failed;
    r.error = "the runner's /v1/bundle is not a JSON object";
    return;
  }
  r.link = RunnerState::Link::Connected;
  r.error.clear();
  r.version = j.value().value("version", std::string());
  r.deployed = std::move(j.value()["bundle"]);
  r.history = j.value().contains("history") && j.value()["history"].is_array() ? j.value()["history"] : Json::array();
  // The edit against the new version, at once (what status and the next frame show).
  r.diff = bundle_diff(r.deployed, state.doc);
  r.diff_revision = state.revision;
  r.diff_version = r.version;
}

// Puts the loaded production events in the bundle's sample events, in place of those it had.
void use_sample_events(StudioState& state) {
  RunnerState& r = state.runner;
  if (!state.loaded || !state.doc.is_object()) return;
  Json& samples = state.doc["samples"];
  if (!samples.is_object()) samples = Json::object();
  samples["events"] = std::move(r.sample_events);
  r.sample_events = Json::array();
  commit_edit(state);
  r.sample_note = "The sample data is now " + std::to_string(r.sample.items) + " production events" +
                  (r.sample.last ? "" : " (the first of more)") + ".";
}

void sample_page_answered(StudioState& state, int status, const std::string& next, const std::string& body) {
  RunnerState& r = state.runner;
  PagedFetch& f = r.sample;
  f.request = 0;
  if (status != 200) {
    f.running = false;
    r.sample_note = status == 0 && body == "cancelled" ? "Loading cancelled; the sample data is unchanged."
                                                        : "Loading failed: " + answer_error(r, status, body);
    r.sample_events = Json::array();
    return;
  }
  f.bytes += body.size();
  size_t pos = 0;
  while (pos < body.size() && f.items < static_cast<size_t>(r.sample_max)) {
    size_t end = body.find('\n', pos);
    if (end == std::string::npos) end = body.size();
    std::string_view line(body.data() + pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
    auto j = parse_json(line, "event line");
    if (!j || !j.value().is_object() || !j.value().contains("event")) {
      f.running = false;
      r.sample_note = "Loading failed: a line of /v1/events is not {\"seq\", \"received\", \"event\"}";
      r.sample_events = Json::array();
      return;
    }
    r.sample_events.push_back(std::move(j.value()["event"]));
    ++f.items;
  }
  f.after = page_next(next, body, f.asked);
  f.last = f.after.empty();
  if (f.last || f.items >= static_cast<size_t>(r.sample_max)) {
    f.running = false;
    use_sample_events(state);
    return;
  }
  f.asked = std::min<size_t>(1000, static_cast<size_t>(r.sample_max) - f.items);
  f.request = runner_send(state, RunnerCall::SamplePage, "GET", events_query(r, f.after, f.asked));
}

void runs_answered(StudioState& state, int status, const std::string& body) {
  RunnerState& r = state.runner;
  r.runs_fetch.request = 0;
  r.runs_fetch.running = false;
  if (status != 200) {
    r.error = answer_error(r, status, body);
    return;
  }
  auto j = parse_json(body, "GET /v1/runs");
  if (!j || !j.value().contains("runs") || !j.value()["runs"].is_array()) {
    r.error = "the runner's /v1/runs answer has no runs list";
    return;
  }
  for (auto& run : j.value()["runs"]) r.runs.push_back(std::move(run));
  r.runs_fetch.items = r.runs.size();
  const Json& next = j.value()["next_after"];
  r.runs_fetch.last = next.is_null();
  r.runs_fetch.after = next.is_null() ? "" : (next.is_string() ? next.get<std::string>() : next.dump());
}

void run_answered(StudioState& state, int status, const std::string& body) {
  RunnerState& r = state.runner;
  r.run_request = 0;
  if (status != 200) {
    r.run_error = answer_error(r, status, body);
    return;
  }
  auto j = parse_json(body, "GET /v1/runs/{id}");
  if (!j || !j.value().contains("run")) {
    r.run_error = "the runner's answer has no run";
    return;
  }
  r.run = std::move(j.value()["run"]);
  as_trace_run(r.run);
}

void deploy_answered(StudioState& state, int status, const std::string& body) {
  RunnerState& r = state.runner;
  r.deploy_request = 0;
  r.rollback_request = 0;
  r.deploy_problems.clear();
  auto j = parse_json(body, "answer");
  if (status == 200) {
    std::string v = j && j.value().is_object() ? j.value().value("version", std::string()) : std::string();
    r.deploy_result = "Deployed: the runner now runs version " + v + ".";
    runner_send(state, RunnerCall::Bundle, "GET", "/v1/bundle");  // its version and history
    return;
  }
  if (status == 422 && j && j.value().is_object()) {
    r.deploy_result = "Refused by the runner: the bundle has problems or failing tests.";
    for (const auto& p : j.value().value("problems", Json::array())) {
      r.deploy_problems.push_back(p.value("pointer", std::string()) + ": " + p.value("message", std::string()));
    }
    for (const auto& t : j.value().value("failed_tests", Json::array())) {
      r.deploy_problems.push_back("test " + t.value("name", std::string()) + " fails: " + t.value("diff", std::string()));
    }
    return;
  }
  r.deploy_result = "Refused: " + answer_error(r, status, body);
}

// [SECTION] Drawing

void connection_row(StudioState& state) {
  RunnerState& r = state.runner;
  ImGui::SetNextItemWidth(px(240));
  input_string_hint("##url", "runner URL", &r.url);
  note_widget(state, "runner.url");
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(200));
  input_string_hint("##token", "read or admin token", &r.token, ImGuiInputTextFlags_Password);
  note_widget(state, "runner.token");
  ImGui::SameLine();
  ImGui::BeginDisabled(r.link == RunnerState::Link::Connecting || r.url.empty());
  if (ImGui::Button(connected(r) ? "Reconnect" : "Connect")) connect(state);
  note_widget(state, "runner.connect");
  ImGui::EndDisabled();
  ImGui::SameLine();
  switch (r.link) {
    case RunnerState::Link::Off: ImGui::TextDisabled("not connected; the token stays in this tab only"); break;
    case RunnerState::Link::Connecting: ImGui::TextDisabled("connecting..."); break;
    case RunnerState::Link::Connected: ImGui::TextColored(kGood, "connected: version %s deployed", r.version.c_str()); break;
    case RunnerState::Link::Failed: ImGui::TextColored(kBad, "not connected"); break;
  }
  if (!r.error.empty()) text_wrapped_colored(kBad, r.error);
}

void refresh_diff(StudioState& state) {
  RunnerState& r = state.runner;
  if (r.link != RunnerState::Link::Connected) return;
  if (r.diff_revision == state.revision && r.diff_version == r.version) return;
  r.diff = bundle_diff(r.deployed, state.doc);
  r.diff_revision = state.revision;
  r.diff_version = r.version;
}

void diff_lines(const RunnerState& r, float height) {
  if (r.diff.empty()) {
    ImGui::TextColored(kGood, "The edited bundle does what version %s does.", r.version.c_str());
    return;
  }
  ImGui::TextDisabled("The edited bundle against version %s (%zu change%s):", r.version.c_str(), r.diff.size(),
                      r.diff.size() == 1 ? "" : "s");
  ImGui::BeginChild("diff", ImVec2(0, height), true);
  for (const auto& l : r.diff) {
    ImGui::Bullet();
    ImGui::TextWrapped("%s", l.c_str());
  }
  ImGui::EndChild();
}

void backtest_summary(const RunnerBacktest& b) {
  if (!b.error.empty()) {
    text_wrapped_colored(kBad, "Backtest failed: " + b.error);
    return;
  }
  if (b.same) {
    ImGui::TextColored(kGood, "Backtest: over %zu production events, no decision and no effect differs.", b.events.items);
    return;
  }
  ImGui::TextColored(kWarn, "Backtest over %zu production events: %zu decisions flipped.", b.events.items, b.flips_total);
  for (const auto& l : b.summary) ImGui::BulletText("%s", l.c_str());
}

void deployed_tab(StudioState& state) {
  RunnerState& r = state.runner;
  refresh_diff(state);
  const bool admin_busy = r.deploy_request != 0 || r.rollback_request != 0;
  ImGui::BeginDisabled(!state.loaded || !state.check.ok() || admin_busy);
  if (ImGui::Button("Deploy the edited bundle...")) {
    r.deploy_confirm = true;
    r.deploy_result.clear();
    r.deploy_problems.clear();
  }
  note_widget(state, "runner.deploy");
  ImGui::EndDisabled();
  if (!state.check.ok()) {
    ImGui::SameLine();
    ImGui::TextColored(kWarn, "Fix the bundle's problems to deploy it.");
  }
  if (admin_busy) {
    ImGui::SameLine();
    ImGui::TextDisabled("the runner is checking the bundle...");
  }
  if (!r.deploy_result.empty()) {
    text_wrapped_colored(r.deploy_problems.empty() && r.deploy_result.rfind("Deployed", 0) == 0 ? kGood : kBad, r.deploy_result);
    for (const auto& p : r.deploy_problems) {
      ImGui::Bullet();
      text_wrapped_colored(kBad, p);
    }
  }
  diff_lines(r, -1);
}

void deploy_dialog(StudioState& state) {
  RunnerState& r = state.runner;
  const char* title = "Deploy to the runner?";
  if (r.deploy_confirm && !ImGui::IsPopupOpen(title)) ImGui::OpenPopup(title);
  ImGui::SetNextWindowSize(ImVec2(px(620), 0), ImGuiCond_Appearing);
  if (!ImGui::BeginPopupModal(title, nullptr, 0)) return;
  refresh_diff(state);
  ImGui::TextWrapped("The runner at %s will run the edited bundle for every event from now on, in place of version %s. "
                     "It checks the bundle and runs its tests first, and refuses it when they fail.",
                     r.url.c_str(), r.version.c_str());
  ImGui::Spacing();
  diff_lines(r, px(160));
  const RunnerBacktest& b = r.backtest;
  if (b.done && b.revision == state.revision && b.version == r.version) {
    backtest_summary(b);
  } else {
    ImGui::TextColored(kWarn, "Not backtested%s: run Backtest to see what it would have changed on production's events.",
                       b.done ? " since the last edit" : "");
  }
  ImGui::Spacing();
  if (ImGui::Button("Deploy")) {
    r.deploy_confirm = false;
    r.deploy_request = runner_send(state, RunnerCall::Deploy, "PUT", "/v1/bundle", bundle_text(state));
    ImGui::CloseCurrentPopup();
  }
  note_widget(state, "runner.deploy.confirm");
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    r.deploy_confirm = false;
    ImGui::CloseCurrentPopup();
  }
  note_widget(state, "runner.deploy.cancel");
  ImGui::EndPopup();
}

void rollback_dialog(StudioState& state) {
  RunnerState& r = state.runner;
  const char* title = "Roll back?";
  if (!r.rollback_version.empty() && !ImGui::IsPopupOpen(title)) ImGui::OpenPopup(title);
  if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_AlwaysAutoResize)) return;
  ImGui::Text("The runner goes back to version %s (it now runs %s).", r.rollback_version.c_str(), r.version.c_str());
  if (ImGui::Button("Roll back")) {
    Json body = {{"version", r.rollback_version}};
    r.deploy_result.clear();
    r.deploy_problems.clear();
    r.rollback_request = runner_send(state, RunnerCall::Rollback, "POST", "/v1/bundle/rollback", body.dump());
    r.rollback_version.clear();
    ImGui::CloseCurrentPopup();
  }
  note_widget(state, "runner.rollback.confirm");
  ImGui::SameLine();
  if (ImGui::Button("Cancel") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
    r.rollback_version.clear();
    ImGui::CloseCurrentPopup();
  }
  ImGui::EndPopup();
}

void filters(StudioState& state) {
  RunnerState& r = state.runner;
  ImGui::SetNextItemWidth(px(170));
  input_string_hint("##since", "since (RFC 3339)", &r.since);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(170));
  input_string_hint("##until", "until (RFC 3339)", &r.until);
  ImGui::SameLine();
  ImGui::SetNextItemWidth(px(140));
  input_string_hint("##type", "event type", &r.type);
  note_widget(state, "runner.type");
}

void events_tab(StudioState& state) {
  RunnerState& r = state.runner;
  ImGui::TextWrapped("Production events, customer data pseudonymised by the runner, become the bundle's sample data "
                     "(the Simulator, Compare and the previews use them).");
  filters(state);
  ImGui::SetNextItemWidth(px(120));
  ImGui::InputInt("at most", &r.sample_max, 100, 1000);
  r.sample_max = std::clamp(r.sample_max, 1, 100000);
  PagedFetch& f = r.sample;
  ImGui::BeginDisabled(f.running || !state.loaded);
  if (ImGui::Button("Load as sample data")) {
    f = PagedFetch{};
    f.running = true;
    r.sample_events = Json::array();
    r.sample_note.clear();
    f.asked = std::min<size_t>(1000, static_cast<size_t>(r.sample_max));
    f.request = runner_send(state, RunnerCall::SamplePage, "GET", events_query(r, "", f.asked));
  }
  note_widget(state, "runner.load");
  ImGui::EndDisabled();
  if (f.running) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) runner_cancel(state, f.request);
    note_widget(state, "runner.load.cancel");
    char label[96];
    std::snprintf(label, sizeof label, "%zu of at most %d events (%.1f MB)", f.items, r.sample_max,
                  static_cast<double>(f.bytes) / 1048576.0);
    ImGui::ProgressBar(static_cast<float>(f.items) / static_cast<float>(r.sample_max), ImVec2(-1, 0), label);
  }
  if (!r.sample_note.empty()) ImGui::TextWrapped("%s", r.sample_note.c_str());
}

void runs_tab(StudioState& state) {
  RunnerState& r = state.runner;
  ImGui::BeginDisabled(r.runs_fetch.running);
  if (ImGui::Button(r.runs.empty() ? "List production runs" : "Start over")) {
    r.runs = Json::array();
    r.runs_fetch = PagedFetch{};
    r.runs_fetch.running = true;
    r.runs_fetch.request = runner_send(state, RunnerCall::Runs, "GET", "/v1/runs?limit=" + std::to_string(kRunsPage));
  }
  note_widget(state, "runner.runs");
  if (!r.runs.empty() && !r.runs_fetch.last) {
    ImGui::SameLine();
    if (ImGui::Button("More")) {
      r.runs_fetch.running = true;
      r.runs_fetch.request = runner_send(state, RunnerCall::Runs, "GET",
                                         "/v1/runs?limit=" + std::to_string(kRunsPage) + "&after=" + url_encode(r.runs_fetch.after));
    }
  }
  ImGui::EndDisabled();
  ImGui::SameLine();
  ImGui::TextDisabled("%zu runs", r.runs.size());
  const float list_w = ImGui::GetContentRegionAvail().x * 0.42f;
  ImGui::BeginChild("runlist", ImVec2(list_w, 0), true);
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(r.runs.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
      const Json& run = r.runs[static_cast<size_t>(i)];
      std::string id = run.value("id", std::string());
      std::string label = run.value("status", std::string()) + "  " + id + "  (" + run.value("bundle_version", std::string()) + ")";
      ImGui::PushID(i);
      if (ImGui::Selectable(label.c_str(), r.run_id == id)) {
        r.run_id = id;
        r.run = Json();
        r.run_error.clear();
        r.run_request = runner_send(state, RunnerCall::Run, "GET", "/v1/runs/" + url_encode(id));
      }
      note_widget(state, "runner.run:" + id);
      ImGui::PopID();
    }
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("runview", ImVec2(0, 0), true);
  if (r.run_id.empty()) {
    ImGui::TextDisabled("Pick a run to step through it, with the why of each decision.");
  } else if (!r.run_error.empty()) {
    text_wrapped_colored(kBad, r.run_error);
  } else if (r.run.is_null()) {
    ImGui::TextDisabled("loading %s...", r.run_id.c_str());
  } else {
    draw_run_trace(state, r.run, "production run", "");
  }
  ImGui::EndChild();
}

// What the core says of a flipped decision: the condition on each side and the values it saw.
std::string flip_sentence(const BacktestFlip& f) {
  const Json& d = f.detail;
  std::string s = "Production took " + f.production + ", the edit takes " + f.edited + ".";
  if (d.contains("condition_before") && d["condition_before"] != d.value("condition_after", Json())) {
    s += "\nCondition in production: " + condition_text(d["condition_before"], 200);
    s += "\nCondition in the edit: " + condition_text(d.value("condition_after", Json()), 200);
  } else if (d.contains("condition_after")) {
    s += "\nCondition: " + condition_text(d["condition_after"], 200);
  }
  if (d.contains("seen_before") && !d["seen_before"].empty()) s += "\nProduction saw " + short_json(d["seen_before"], 300);
  if (d.contains("seen_after") && !d["seen_after"].empty()) s += "\nThe edit sees " + short_json(d["seen_after"], 300);
  return s;
}

void backtest_tab(StudioState& state) {
  RunnerState& r = state.runner;
  RunnerBacktest& b = r.backtest;
  // With a flip open, its two runs get the room (the filters come back when it is closed).
  if (b.open_flip < 0) filters(state);
  const bool running = backtest_running(state);
  ImGui::BeginDisabled(running || !state.check.ok() || r.deployed.is_null());
  if (ImGui::Button("Backtest the edit on production's events")) backtest_start(state);
  note_widget(state, "runner.backtest");
  ImGui::EndDisabled();
  if (running) {
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) backtest_cancel(state);
    note_widget(state, "runner.backtest.cancel");
    char label[128];
    std::snprintf(label, sizeof label, "%zu events, %zu runs of production compared (%.1f s)", b.events.items,
                  b.runs_compared, b.elapsed_ms / 1000.0);
    // The runner does not say how many events there are: the bar shows pages coming in.
    ImGui::ProgressBar(-1.0f * static_cast<float>(ImGui::GetTime()), ImVec2(-1, 0), label);
    return;
  }
  if (!b.ran) {
    ImGui::TextWrapped("Runs production's recorded events through the edited bundle and compares what it does with what "
                       "production did: the decisions that flip and the effects that change.");
    return;
  }
  if (b.cancelled) ImGui::TextColored(kWarn, "Cancelled: the results below cover the events compared so far.");
  if (b.revision != state.revision) ImGui::TextColored(kWarn, "The bundle has changed since this backtest.");
  if (b.open_flip < 0 || !b.error.empty()) backtest_summary(b);
  if (!b.error.empty()) return;
  if (!b.flips.empty() && b.open_flip < 0) {
    ImGui::TextDisabled("Flipped decisions (%zu%s); click one to see both runs:", b.flips_total,
                        b.flips_total > b.flips.size() ? ", the first shown" : "");
  }
  const float list_h = b.open_flip >= 0 ? px(64) : 0;
  ImGui::BeginChild("flips", ImVec2(0, list_h), true);
  ImGuiListClipper clip;
  clip.Begin(static_cast<int>(b.flips.size() + b.lines.size()));
  while (clip.Step()) {
    for (int i = clip.DisplayStart; i < clip.DisplayEnd; ++i) {
      ImGui::PushID(i);
      if (i < static_cast<int>(b.flips.size())) {
        const BacktestFlip& f = b.flips[static_cast<size_t>(i)];
        std::string label = f.run_id + " at " + f.path + ": production " + f.production + ", edited " + f.edited;
        if (ImGui::Selectable(label.c_str(), b.open_flip == i)) backtest_open_flip(state, i);
        note_widget(state, "runner.flip:" + std::to_string(i));
        if (ImGui::IsItemHovered()) {
          ImGui::SetNextWindowSize(ImVec2(px(520), 0));
          ImGui::BeginTooltip();
          ImGui::TextWrapped("%s", flip_sentence(f).c_str());
          ImGui::EndTooltip();
        }
      } else {
        ImGui::TextUnformatted(b.lines[static_cast<size_t>(i) - b.flips.size()].c_str());
      }
      ImGui::PopID();
    }
  }
  ImGui::EndChild();
  if (b.open_flip < 0) return;
  const BacktestFlip& f = b.flips[static_cast<size_t>(b.open_flip)];
  if (ImGui::SmallButton("Close")) {
    b.open_flip = -1;
    return;
  }
  ImGui::SameLine();
  ImGui::TextColored(kAccent, "%s at %s: production %s, the edit %s (hover the line above for the values seen)", f.run_id.c_str(),
                     f.path.c_str(), f.production.c_str(), f.edited.c_str());
  if (ImGui::BeginTable("sides", 2, ImGuiTableFlags_Resizable | ImGuiTableFlags_BordersInnerV | ImGuiTableFlags_ScrollY)) {
    ImGui::TableNextColumn();
    ImGui::PushID("production");
    if (!b.production_error.empty()) {
      text_wrapped_colored(kBad, b.production_error);
    } else if (b.production_run.is_null()) {
      ImGui::TextDisabled("loading production's run...");
    } else {
      draw_run_trace(state, b.production_run, "production (version " + r.version + ")", f.path);
    }
    ImGui::PopID();
    ImGui::TableNextColumn();
    ImGui::PushID("edited");
    if (!b.edited_error.empty()) {
      text_wrapped_colored(kBad, b.edited_error);
    } else if (b.edited_run.is_null()) {
      ImGui::TextDisabled(b.edited_request ? "re-running the edited bundle over the run's events..." : "");
    } else {
      draw_run_trace(state, b.edited_run, "edited bundle", f.path);
    }
    ImGui::PopID();
    ImGui::EndTable();
  }
}

void history_tab(StudioState& state) {
  RunnerState& r = state.runner;
  if (ImGui::BeginTable("versions", 4, ImGuiTableFlags_Borders | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY)) {
    ImGui::TableSetupColumn("version");
    ImGui::TableSetupColumn("deployed");
    ImGui::TableSetupColumn("how");
    ImGui::TableSetupColumn("");
    ImGui::TableHeadersRow();
    int i = 0;
    for (const auto& h : r.history) {
      std::string v = h.value("version", std::string());
      ImGui::TableNextRow();
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(v.c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(h.value("deployed_at", std::string()).c_str());
      ImGui::TableNextColumn();
      ImGui::TextUnformatted(h.value("source", std::string()).c_str());
      ImGui::TableNextColumn();
      ImGui::PushID(i++);
      if (v == r.version) {
        ImGui::TextColored(kGood, "running");
      } else {
        ImGui::BeginDisabled(r.rollback_request != 0 || r.deploy_request != 0);
        if (ImGui::SmallButton("Roll back to this")) r.rollback_version = v;
        note_widget(state, "runner.rollback:" + v);
        ImGui::EndDisabled();
      }
      ImGui::PopID();
    }
    ImGui::EndTable();
  }
}

}  // namespace

void runner_restore(StudioState& state) {
  RunnerState& r = state.runner;
  r.restored = true;
  auto saved = session_get(kSessionKey);
  if (!saved) return;
  auto j = parse_json(*saved, "runner connection");
  if (!j || !j.value().is_object()) return;
  r.url = j.value().value("url", r.url);
  r.token = j.value().value("token", std::string());
}

void runner_answer(StudioState& state, int id, int status, const std::string& next_after, std::string body) {
  RunnerState& r = state.runner;
  auto it = r.pending.find(id);
  if (it == r.pending.end()) return;
  RunnerCall call = it->second;
  r.pending.erase(it);
  switch (call) {
    case RunnerCall::Bundle: bundle_answered(state, status, body); break;
    case RunnerCall::SamplePage: sample_page_answered(state, status, next_after, body); break;
    case RunnerCall::Runs: runs_answered(state, status, body); break;
    case RunnerCall::Run:
      if (id == r.run_request) run_answered(state, status, body);
      break;
    case RunnerCall::Deploy:
    case RunnerCall::Rollback: deploy_answered(state, status, body); break;
    case RunnerCall::BacktestEvents:
    case RunnerCall::BacktestRuns:
    case RunnerCall::BacktestEffects:
    case RunnerCall::BacktestRun:
    case RunnerCall::BacktestEdited: backtest_answer(state, call, id, status, next_after, std::move(body)); break;
  }
}

void runner_tick(StudioState& state, double budget_ms) { backtest_tick(state, budget_ms); }

void draw_runner_panel(StudioState& state) {
  RunnerState& r = state.runner;
  if (!r.restored) runner_restore(state);
  connection_row(state);
  if (connected(r) || r.link == RunnerState::Link::Connecting) {
    if (ImGui::BeginTabBar("runner")) {
      struct Tab {
        const char* label;
        void (*draw)(StudioState&);
      };
      static const Tab kTabs[] = {{"Deployed", deployed_tab}, {"Sample events", events_tab}, {"Runs", runs_tab},
                                  {"Backtest", backtest_tab}, {"History", history_tab}};
      for (const Tab& t : kTabs) {
        bool open = ImGui::BeginTabItem(t.label);
        note_widget(state, std::string("runner.tab.") + t.label);
        if (open) {
          t.draw(state);
          ImGui::EndTabItem();
        }
      }
      ImGui::EndTabBar();
    }
  } else {
    ImGui::TextWrapped("Point the studio at a running shopflow serve: its URL (the deployment config's api.cors_origins "
                       "must name this page's origin) and a token — the read token to look and backtest, the admin "
                       "token to deploy and roll back.");
  }
  deploy_dialog(state);
  rollback_dialog(state);
}

}  // namespace shopflow::studio
