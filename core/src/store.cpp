// What every store shares: the transaction object and the names of effect statuses.
#include "shopflow/store.hpp"

#include <algorithm>

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

Result<size_t> Store::each_outside_event(std::int64_t after, size_t limit,
                                         const std::function<void(const InboxRow&)>& fn) {
  constexpr size_t kPage = 1024;  // events read at a time
  const InboxQuery all;
  size_t n = 0;
  while (n < limit) {
    const size_t want = std::min(kPage, limit - n);
    auto rows = inbox_outside(all, after, want);
    if (!rows) return rows.error();
    for (const InboxRow& r : rows.value()) {
      fn(r);
      after = r.seq;
      ++n;
    }
    if (rows.value().size() < want) break;
  }
  return n;
}

}  // namespace shopflow
