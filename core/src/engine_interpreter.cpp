// The step interpreter: runs a run's steps (if, switch, action, wait, foreach, set, emit, stop)
// from its position until it waits, stops, fails or completes, records each step, and saves
// the run with its effects in the caller's transaction. Part of Engine::Impl (engine_impl.hpp);
// the wait step is with the timers (engine_timers.cpp), table actions in engine_tables.cpp.
#include <algorithm>

#include "engine_impl.hpp"
#include "engine_tables.hpp"

namespace shopflow {

using engine::Flow;
using engine::Frame;
using engine::RunState;

namespace engine {

std::string case_label(const Step& st, size_t i) {
  const SwitchCase& c = st.cases[i];
  std::string text = c.has_equals ? c.equals.dump() : c.when.source().dump();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return c.has_equals ? "case " + text : "case " + std::to_string(i) + ": when " + text;
}

}  // namespace engine

namespace {

const char* kind_name(StepKind k) {
  switch (k) {
    case StepKind::If: return "if";
    case StepKind::Switch: return "switch";
    case StepKind::Action: return "action";
    case StepKind::Wait: return "wait";
    case StepKind::Foreach: return "foreach";
    case StepKind::Set: return "set";
    case StepKind::Emit: return "emit";
    default: return "stop";
  }
}

// An effect's id, its idempotency key: the run's id and the step's path.
std::string effect_id_of(const RunState& rs, const std::string& path) {
  std::string id;
  id.reserve(rs.row.id.size() + 1 + path.size());
  id += rs.row.id;
  id += '/';
  id += path;
  return id;
}

}  // namespace

void Engine::Impl::took(const Workflow& wf, std::string_view path, std::string_view suffix) {
  if (!options.record_branches) return;
  std::string branch(path);
  branch += suffix;
  ++branches[BranchKey{wf.id, std::move(branch)}];
}

Result<Json> Engine::Impl::compute(const Computed& c, const Json& ctx) {
  switch (c.kind) {
    case Computed::Kind::Literal: return c.literal;
    case Computed::Kind::Text: {
      auto r = c.text.render(ctx, tpl);
      if (!r) {
        const Error& e = r.error();
        std::string where = e.line > 0 ? " at line " + std::to_string(e.line) : "";
        return Error{"template" + where + ": " + e.message, "", 0, 0};
      }
      // What a run computes is stored and sent as JSON, which is UTF-8; base64_decode can
      // give other bytes.
      if (size_t bad = invalid_utf8_at(r.value()); bad != std::string_view::npos) {
        return Error{"template: its text is not valid UTF-8 (byte " + std::to_string(bad + 1) + " of " +
                         std::to_string(r.value().size()) + "); base64_decode gives bytes, not text",
                     "", 0, 0};
      }
      return Json(std::move(r.value()));
    }
    case Computed::Kind::Logic: {
      auto r = c.logic.evaluate(ctx, eval);
      if (!r) return Error{"condition: " + r.error().message, "", 0, 0};
      return std::move(r.value());
    }
    case Computed::Kind::Object: {
      Json out = Json::object();
      for (const auto& [k, v] : c.fields) {
        auto r = compute(v, ctx);
        if (!r) return Error{k + ": " + r.error().message, "", 0, 0};
        out[k] = std::move(r.value());
      }
      return out;
    }
    default: {
      Json out = Json::array();
      for (size_t i = 0; i < c.items.size(); ++i) {
        auto r = compute(c.items[i], ctx);
        if (!r) return Error{"[" + std::to_string(i) + "]: " + r.error().message, "", 0, 0};
        out.push_back(std::move(r.value()));
      }
      return out;
    }
  }
}

Result<Json> Engine::Impl::evaluate(const logic::Condition& c, const Json& ctx, std::string* tree) {
  auto r = options.explain && options.record_steps && tree ? c.explain_text(ctx, tree, eval) : c.evaluate(ctx, eval);
  if (!r) return Error{"condition: " + r.error().message, "", 0, 0};
  return r;
}

Status Engine::Impl::record(RunState& rs, const std::string& path, StepKind kind, Millis now, StepValue input,
                            const Json& output, const Json* verdict, StepValue explanation) {
  ++rs.seq;
  if (!options.record_steps) return {};
  append_step(rs.row.steps, path, kind_name(kind), now, input, &output, verdict, explanation);
  return {};
}

Flow Engine::Impl::fail(RunState& rs, const std::string& path, const std::string& message) {
  rs.row.status = "failed";
  rs.row.error = "step " + path + ": " + message;
  rs.row.error_step = path;
  return Flow::Fail;
}

Status Engine::Impl::save(RunState& rs, Millis now) {
  rs.row.updated = now;
  if (rs.row.steps.size() < 65536) steps_room = rs.row.steps.size() + 64;
  if (rs.row.status == "waiting") {
    rs.row.state = engine::waiting_state_text(rs);
  } else {
    rs.row.wait_event.clear();
    rs.row.wait_key.clear();
    engine::write_finished_state(rs, rs.row.state);
  }
  count(rs.row.workflow, rs.stored_status, rs.row.status);
  // A fresh run that finishes before it was ever stored is nobody's to read back, when the
  // store keeps no finished runs: only the observer sees it (its id is its event's, new).
  const bool unstored = !options.keep_finished && rs.fresh && rs.stored_status.empty() && rs.row.status != "waiting";
  rs.stored_status = rs.row.status;
  return put_run(rs.row, !unstored);
}

Status Engine::Impl::put_run(RunRow& row, bool stored) {
  // The bundle that ran the run last: runners of several versions may share a store.
  if (row.bundle_version != options.bundle_version) row.bundle_version = options.bundle_version;
  if (stored) {
    if (auto s = store->run_put(row, options.keep_finished || row.status == "waiting"); !s) return s;
  }
  if (options.observer) options.observer->run_saved(row);
  return {};
}

Result<bool> Engine::Impl::insert_effect(EffectRow& e) {
  if (!options.keep_finished) {
    if (!effect_ids.insert(e.id)) return false;
  } else {
    auto ins = store->effect_insert(e);
    if (!ins || !ins.value()) return ins;
  }
  if (options.observer) options.observer->effect_made(e);
  return true;
}

Result<Flow> Engine::Impl::effect(RunState& rs, const Step& st, const std::string& path, Millis now) {
  EffectRow e;
  e.params.reserve(params_room);
  e.params += '{';
  for (const auto& [name, value] : st.params) {
    auto v = compute(value, rs.ctx);
    if (!v) return fail(rs, path, "parameter " + name + ": " + v.error().message);
    if (e.params.size() > 1) e.params += ',';
    append_json_string(e.params, name);
    e.params += ':';
    append_json(e.params, v.value());
  }
  e.params += '}';
  params_room = std::max(params_room, std::min<size_t>(e.params.size() + 16, 4096));
  e.id = effect_id_of(rs, path);
  e.run_id = rs.row.id;
  e.path = path;
  e.type = st.action;
  if (options.effects_delivered) e.status = "delivered";
  e.created = now;
  e.next_attempt = now;
  // The step is recorded first: the observer may take the row's members.
  Json output = object_with("effect_id", e.id);
  if (auto s = record(rs, path, st.kind, now, e.params, output); !s) return s.error();
  auto ins = insert_effect(e);
  if (!ins) return ins.error();
  rs.ctx["steps"][st.id] = std::move(output);
  return Flow::Continue;
}

Result<Flow> Engine::Impl::action(RunState& rs, const Step& st, const std::string& path, Millis now) {
  if (st.spec->kind == ActionKind::Effect) return effect(rs, st, path, now);
  Json params = Json::object();
  for (const auto& [name, value] : st.params) {
    auto v = compute(value, rs.ctx);
    if (!v) return fail(rs, path, "parameter " + name + ": " + v.error().message);
    params[name] = std::move(v.value());
  }
  Json output;
  switch (st.spec->kind) {
    case ActionKind::Request: {
      if (defer_requests) return call(rs, st, path, params, now);
      if (!options.request) return fail(rs, path, "http.request cannot run here: no request port is configured");
      const std::string effect_id = effect_id_of(rs, path);
      Json request = params;
      request["idempotency_key"] = effect_id;
      if (st.action != "http.request") request["action"] = st.action;
      auto resp = options.request(request);
      if (!resp) return fail(rs, path, "http.request: " + resp.error().message);
      output = std::move(resp.value());
      EffectRow e;
      e.id = effect_id;
      e.run_id = rs.row.id;
      e.path = path;
      e.type = st.action;
      e.params = json_text(params);
      e.status = "delivered";
      e.attempts = 1;
      e.created = now;
      e.next_attempt = now;
      auto ins = insert_effect(e);
      if (!ins) return ins.error();
      break;
    }
    default: {
      auto done = engine::apply_table_action(*store, bundle, st.spec->kind, params);
      if (!done) return done.error();
      engine::TableActionResult& change = done.value();
      if (!change.failure.empty()) return fail(rs, path, change.failure);
      if (options.record_tables) changes.push_back(TableChange{now, rs.row.id, change.table, change.key, change.value});
      output = {{"table", std::move(change.table)}, {"key", std::move(change.key)}, {"value", std::move(change.value)}};
      break;
    }
  }
  if (auto s = record(rs, path, st.kind, now, &params, output); !s) return s.error();
  rs.ctx["steps"][st.id] = std::move(output);
  return Flow::Continue;
}

Result<Flow> Engine::Impl::call(RunState& rs, const Step& st, const std::string& path, const Json& params, Millis now) {
  EffectRow e;
  e.id = effect_id_of(rs, path);
  e.run_id = rs.row.id;
  e.path = path;
  e.type = st.action;
  e.params = json_text(params);
  e.created = now;
  e.next_attempt = now;
  rs.wait = {{"step", static_cast<size_t>(&st - rs.wf->steps.data())}, {"id", st.id}, {"path", path},
             {"kind", "call"}, {"since", now}, {"effect", e.id}};
  auto ins = insert_effect(e);
  if (!ins) return ins.error();
  rs.row.status = "waiting";
  return Flow::Wait;
}

Result<Flow> Engine::Impl::step(RunState& rs, size_t idx, const std::string& path, Millis now) {
  const Step& st = rs.wf->steps[idx];
  switch (st.kind) {
    case StepKind::If: {
      std::string tree;
      auto v = evaluate(st.logic, rs.ctx, &tree);
      if (!v) return fail(rs, path, v.error().message);
      bool yes = logic::truthy(v.value());
      took(*rs.wf, st.path, yes ? ": then" : ": else");
      Json out = object_with("result", yes);
      Json verdict = yes;
      if (auto s = record(rs, path, st.kind, now, nullptr, out, &verdict, tree); !s) return s.error();
      rs.ctx["steps"][st.id] = std::move(out);
      rs.stack.push_back(Frame{yes ? st.then_list : st.else_list, 0, path + (yes ? "/then/" : "/else/"), false, 0, {}, 0, {}});
      return Flow::Continue;
    }
    case StepKind::Switch: {
      std::string tree;
      auto v = evaluate(st.logic, rs.ctx, &tree);
      if (!v) return fail(rs, path, v.error().message);
      size_t chosen = SIZE_MAX;
      for (size_t i = 0; i < st.cases.size() && chosen == SIZE_MAX; ++i) {
        const SwitchCase& c = st.cases[i];
        if (c.has_equals) {
          if (c.equals == v.value()) chosen = i;
        } else {
          auto w = evaluate(c.when, rs.ctx, nullptr);
          if (!w) return fail(rs, path, "case " + std::to_string(i) + ": " + w.error().message);
          if (logic::truthy(w.value())) chosen = i;
        }
      }
      if (options.record_branches)
        took(*rs.wf, st.path, chosen == SIZE_MAX ? std::string(": default") : ": " + engine::case_label(st, chosen));
      Json out = {{"value", v.value()}, {"case", chosen == SIZE_MAX ? Json("default") : Json(chosen)}};
      Json verdict = out["case"];
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out, &verdict, tree); !s) return s.error();
      if (chosen == SIZE_MAX) {
        rs.stack.push_back(Frame{st.default_list, 0, path + "/default/", false, 0, {}, 0, {}});
      } else {
        rs.stack.push_back(
            Frame{st.cases[chosen].list, 0, path + "/cases/" + std::to_string(chosen) + "/", false, 0, {}, 0, {}});
      }
      return Flow::Continue;
    }
    case StepKind::Action: return action(rs, st, path, now);
    case StepKind::Wait: return wait(rs, idx, path, now);
    case StepKind::Foreach: {
      auto v = evaluate(st.logic, rs.ctx, nullptr);
      if (!v) return fail(rs, path, v.error().message);
      Json items = v.value().is_null() ? Json::array() : std::move(v.value());
      if (!items.is_array()) return fail(rs, path, "foreach needs a list, got " + items.dump().substr(0, 80));
      if (items.size() > options.limits.max_foreach_items)
        return fail(rs, path, "the list has " + std::to_string(items.size()) + " items; the limit is " +
                                  std::to_string(options.limits.max_foreach_items));
      // Every item runs at least the body's own steps: a list that cannot finish within the
      // run's step limit fails here, before its first effect, never half-way through.
      size_t least = items.size() * rs.wf->lists[st.body_list].size();
      size_t left = options.limits.max_steps_per_run > rs.count ? options.limits.max_steps_per_run - rs.count : 0;
      if (least > left)
        return fail(rs, path, "the list has " + std::to_string(items.size()) + " items, which need at least " +
                                  std::to_string(least) + " steps; the run has " + std::to_string(left) +
                                  " of its " + std::to_string(options.limits.max_steps_per_run) + " steps left");
      Json out = {{"count", items.size()}};
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
      if (!items.empty()) {
        rs.ctx[st.as] = items[0];
        Frame f{st.body_list, 0, path + "/0/", true, idx, std::move(items), 0, path + "/"};
        rs.stack.push_back(std::move(f));
      }
      return Flow::Continue;
    }
    case StepKind::Set: {
      Json out = Json::object();
      for (const auto& [name, rule] : st.sets) {
        auto v = evaluate(rule, rs.ctx, nullptr);
        if (!v) return fail(rs, path, name + ": " + v.error().message);
        rs.ctx["vars"][name] = v.value();
        out[name] = std::move(v.value());
      }
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
      return Flow::Continue;
    }
    case StepKind::Emit: {
      Json data;
      if (st.emit_data.kind != Computed::Kind::Literal || !st.emit_data.literal.is_null()) {
        auto v = compute(st.emit_data, rs.ctx);
        if (!v) return fail(rs, path, "data: " + v.error().message);
        data = std::move(v.value());
      }
      if (rs.depth + 1 > options.limits.max_emit_depth)
        return fail(rs, path, "events emitted by runs of emitted events go " +
                                  std::to_string(options.limits.max_emit_depth) + " levels deep; stopping a loop");
      InboxRow in;
      in.id = rs.row.id + "/" + path;
      in.type = st.emit_type;
      in.time = now;
      in.depth = rs.depth + 1;
      Json ev = {{"id", in.id}, {"type", in.type}, {"source", source}, {"time", format_instant(now)}, {"data", data}};
      in.body = json_text(ev);
      if (options.keep_handled_events || take_id(in.id)) {
        auto ins = store->inbox_insert(in);
        if (!ins) return ins.error();
      }
      ++emitted;
      Json out = {{"event_id", in.id}, {"type", in.type}};
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
      return Flow::Continue;
    }
    default: {
      Json out = {{"reason", st.reason}};
      rs.ctx["steps"][st.id] = out;
      if (auto s = record(rs, path, st.kind, now, nullptr, out); !s) return s.error();
      rs.row.status = "stopped";
      rs.row.error = st.reason;
      return Flow::Stop;
    }
  }
}

Status Engine::Impl::run(RunState& rs, Millis now) {
  rs.row.status = "running";
  Flow flow = Flow::Continue;
  while (!rs.stack.empty() && flow == Flow::Continue) {
    Frame& f = rs.stack.back();
    const auto& list = rs.wf->lists[f.list];
    if (f.pc >= list.size()) {
      if (f.loop && f.index + 1 < f.items.size()) {
        ++f.index;
        f.pc = 0;
        f.prefix = f.base + std::to_string(f.index) + "/";
        rs.ctx[rs.wf->steps[f.step].as] = f.items[f.index];
        continue;
      }
      if (f.loop) {
        std::string as = rs.wf->steps[f.step].as;
        rs.stack.pop_back();
        rs.ctx.erase(as);
        for (auto it = rs.stack.rbegin(); it != rs.stack.rend(); ++it) {
          if (it->loop && rs.wf->steps[it->step].as == as) {
            rs.ctx[as] = it->items[it->index];
            break;
          }
        }
      } else {
        rs.stack.pop_back();
      }
      continue;
    }
    size_t idx = list[f.pc++];
    std::string path = f.prefix + rs.wf->steps[idx].id;
    if (++rs.count > options.limits.max_steps_per_run) {
      flow = fail(rs, path, "the run took more than " + std::to_string(options.limits.max_steps_per_run) +
                                " steps; stopping it");
      break;
    }
    auto r = step(rs, idx, path, now);
    if (!r) return r.error();
    flow = r.value();
    if (flow == Flow::Fail) {
      Json out = {{"error", rs.row.error}};
      if (auto s = record(rs, path, rs.wf->steps[idx].kind, now, nullptr, out); !s) return s;
    }
  }
  if (flow == Flow::Continue) rs.row.status = "completed";
  return save(rs, now);
}

Status Engine::Impl::resume(RunState& rs, const Json& output, Millis now) {
  const Step& st = rs.wf->steps[rs.wait["step"].get<size_t>()];
  std::string path = rs.wait["path"].get<std::string>();
  if (st.kind == StepKind::Wait && st.wait == WaitKind::Event)
    took(*rs.wf, st.path, output.value("resumed_by", std::string()) == "event" ? ": event arrived" : ": timed out");
  rs.ctx["steps"][st.id] = output;
  rs.ctx["now"] = format_instant(now);
  rs.wait = Json();
  rs.row.wait_event.clear();
  rs.row.wait_key.clear();
  if (auto s = store->timers_delete_for_run(rs.row.id); !s) return s;
  if (auto s = record(rs, path, st.kind, now, nullptr, output); !s) return s;
  return run(rs, now);
}

Status Engine::Impl::fail_unloadable(const RunRow& row, Millis now) {
  RunRow r = row;
  r.status = "failed";
  r.error = bundle.find_workflow(row.workflow) ? "the run's saved state does not fit this bundle's workflow"
                                               : "workflow " + row.workflow + " is no longer in the bundle";
  r.wait_event.clear();
  r.wait_key.clear();
  r.updated = now;
  if (auto s = store->timers_delete_for_run(r.id); !s) return s;
  count(r.workflow, row.status, r.status);
  return put_run(r);
}

Status Engine::Impl::start(const Workflow& wf, const std::string& run_id, const std::string& event_id, Json ctx,
                           int depth, const Json* filter_verdict, const std::string* filter_tree, Millis now, bool fresh) {
  if (!fresh) {
    auto existing = store->run_exists(run_id);
    if (!existing) return existing.error();
    if (existing.value()) return {};  // this event already started this workflow
  }
  RunState rs;
  rs.fresh = fresh;
  rs.wf = &wf;
  rs.row.id = run_id;
  rs.row.workflow = wf.id;
  rs.row.event_id = event_id;
  rs.row.started = now;
  rs.ctx = std::move(ctx);  // its "now" is `now` (both callers set it)
  rs.depth = depth;
  rs.stack.push_back(Frame{0, 0, "", false, 0, {}, 0, {}});
  // Room for step records like the last run's, so that they are not copied as they grow.
  if (options.record_steps && steps_room > 0) rs.row.steps.reserve(steps_room);
  if (filter_verdict) {
    if (auto s = record(rs, "trigger", StepKind::If, now, nullptr, Json{{"result", true}}, filter_verdict,
                       filter_tree ? StepValue(*filter_tree) : StepValue());
      !s)
      return s;
  }
  return run(rs, now);
}

}  // namespace shopflow
