// What every store shares: the transaction object and the names of effect statuses.
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

}  // namespace shopflow
