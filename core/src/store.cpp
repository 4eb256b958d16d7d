// What every store shares: the transaction object, the step-record format of a run's `steps`,
// and reading it back.
#include "shopflow/store.hpp"

namespace shopflow {

const char* to_string(EffectStatus s) {
  switch (s) {
    case EffectStatus::Pending: return "pending";
    case EffectStatus::Delivered: return "delivered";
    default: return "dead";
  }
}

Result<Transaction> Store::transaction() {
  if (auto st = begin(); !st) return st.error();
  return Transaction(this);
}

Status Transaction::commit() {
  Store* s = store_;
  if (!s) return Error{"store: the transaction is over already", "", 0, 0};
  store_ = nullptr;
  auto st = s->commit();
  if (!st) (void)s->rollback();
  return st;
}

void Transaction::rollback() {
  if (!store_) return;
  (void)store_->rollback();
  store_ = nullptr;
}

namespace {

void append_value(std::string& out, const StepValue& v) {
  if (v.value) {
    append_json(out, *v.value);
  } else {
    out += v.text;
  }
}

}  // namespace

void append_step(std::string& steps, std::string_view path, std::string_view kind, Millis time, StepValue input,
                 StepValue output, StepValue verdict, StepValue explanation) {
  using namespace std::string_view_literals;  // literals of known length: no strlen
  if (steps.empty()) {
    steps += '[';
  } else {
    steps.back() = ',';  // the closing bracket
  }
  steps += "{\"path\":"sv;
  append_json_string(steps, path);
  steps += ",\"kind\":"sv;
  append_json_string(steps, kind);
  steps += ",\"time\":\""sv;
  append_instant(steps, time);
  steps += '"';
  if (!input.empty()) {
    steps += ",\"input\":"sv;
    append_value(steps, input);
  }
  steps += ",\"output\":"sv;
  if (output.empty()) {
    steps += "null"sv;
  } else {
    append_value(steps, output);
  }
  if (!verdict.empty()) {
    steps += ",\"verdict\":"sv;
    append_value(steps, verdict);
  }
  if (!explanation.empty()) {
    steps += ",\"explanation\":"sv;
    append_value(steps, explanation);
  }
  steps += "}]"sv;
}

Result<std::vector<StepRow>> Store::steps_of(const std::string& run_id) {
  auto run = run_get(run_id);
  if (!run) return run.error();
  std::vector<StepRow> out;
  if (!run.value()) return out;
  const std::string& text = run.value()->steps;
  if (text.empty()) return out;
  auto doc = parse_json(text, "steps of run " + run_id);
  if (!doc) return doc.error();
  if (!doc.value().is_array()) return Error{"store: the steps of run " + run_id + " are not a list", "", 0, 0};
  auto dumped = [](const Json& rec, const char* key) { return rec.contains(key) ? rec[key].dump() : std::string(); };
  for (const Json& rec : doc.value()) {
    StepRow r;
    r.run_id = run_id;
    r.seq = static_cast<int>(out.size()) + 1;
    r.path = rec.value("path", std::string());
    r.kind = rec.value("kind", std::string());
    auto t = parse_instant(rec.value("time", std::string()));
    r.time = t ? t.value() : 0;
    r.input = dumped(rec, "input");
    r.output = dumped(rec, "output");
    r.verdict = dumped(rec, "verdict");
    r.explanation = dumped(rec, "explanation");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace shopflow
