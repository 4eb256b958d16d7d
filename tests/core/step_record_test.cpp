// Step records: what append_step writes is what parse_steps reads back, member by member, and
// text that is not a list of records is refused.
#include "shopflow/step_record.hpp"

#include <doctest/doctest.h>

TEST_CASE("step records read back as written: optional members only when given") {
  std::string steps;
  const shopflow::Json input = {{"to", "a@x.com"}};
  const shopflow::Json output = {{"effect_id", "w:e1/check/then/mail"}};
  shopflow::append_step(steps, "check", "if", 1772442000000, {}, std::string_view(R"({"result":true})"),
                        std::string_view("true"), std::string_view(R"({"op":">"})"));
  shopflow::append_step(steps, "check/then/mail", "action", 1772442000250, &input, &output);
  shopflow::append_step(steps, "done", "stop", 1772442000250, {}, {});
  CHECK(shopflow::parse_json(steps).ok());
  auto rows = shopflow::parse_steps("w:e1", steps);
  REQUIRE(rows.ok());
  REQUIRE(rows.value().size() == 3);
  const auto& check = rows.value()[0];
  CHECK(check.run_id == "w:e1");
  CHECK(check.seq == 1);
  CHECK(check.kind == "if");
  CHECK(check.input.empty());
  CHECK(check.verdict == "true");
  CHECK(check.explanation == R"({"op":">"})");
  const auto& mail = rows.value()[1];
  CHECK(mail.seq == 2);
  CHECK(mail.path == "check/then/mail");
  CHECK(mail.time == 1772442000250);
  CHECK(mail.input == R"({"to":"a@x.com"})");
  CHECK(mail.output == R"({"effect_id":"w:e1/check/then/mail"})");
  CHECK(mail.verdict.empty());
  CHECK(rows.value()[2].output == "null");  // no output is written as null
}

TEST_CASE("a run without step records has none; text that is not a list of them is an error") {
  CHECK(shopflow::parse_steps("w:e1", "").value().empty());
  CHECK_FALSE(shopflow::parse_steps("w:e1", "{}").ok());
  CHECK_FALSE(shopflow::parse_steps("w:e1", "[{").ok());
}
