// Templates: Liquid as Shopify's reference implementation defines it, plus Shopify's `json`
// and `money` filters.
//
// parse() once, render() many times. Every text parameter of an action is a Template.
// Limits on output size, loop iterations and nesting stop a runaway template with an Error
// (never a hang or a crash). Used by the engine, `shopflow render` and the studio's editor.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shopflow/json.hpp"
#include "shopflow/result.hpp"

namespace shopflow::liquid {

enum class Mode { Lax, Strict };

// Returns the source of the named template for {% render %} / {% include %}, or nullptr.
using PartialSource = std::function<const std::string*(const std::string& name)>;

// Partials parsed once and kept across renders, for callers whose partial sources never change
// (the engine: a bundle's templates). Not for use by two threads at once.
struct PartialCache;
std::shared_ptr<PartialCache> make_partial_cache();

struct Limits {
  size_t max_output_bytes = 1 << 20;
  size_t max_loop_iterations = 100'000;  // summed over all loops of one render
  size_t max_depth = 64;                 // nesting of blocks and render/include calls
  size_t max_source_bytes = 1 << 20;
};

struct Options {
  Mode mode = Mode::Lax;        // Strict: unknown tags/filters and bad syntax are errors,
                                // undefined variables and filters are render errors
  Limits limits;
  PartialSource partials;       // unset: render/include fail with "no template named ..."
  std::string money_format = "${{amount}}";  // Shopify's shop money format for `money`

  // Added by the Liquid implementation (template.cpp); the fields above are the original contract.

  // Strict mode only: false renders undefined variables as nothing, as Ruby Liquid does with
  // error_mode :strict but without strict_variables (the golden conformance suite runs so).
  bool strict_variables = true;
  // Shopify's shop "money with currency" format, for `money_with_currency`.
  std::string money_with_currency_format = "${{amount}} USD";
  // Unset: each render parses the partials it uses.
  std::shared_ptr<PartialCache> partial_cache;
  // Names that the outermost scope answers with another of the data's members when the data
  // has no member of that name: {"trigger", "event"} makes {{ trigger.id }} read event.id
  // where the data has no "trigger" (the engine's event runs, whose trigger is their event).
  std::vector<std::pair<std::string, std::string>> root_aliases;
  // The store's time zone ("Europe/Berlin"): the `date` filter shows times on its clock unless
  // given a zone of its own. "": times keep the offset they were written with.
  std::string time_zone;
};

struct Document;  // parsed form, private to template.cpp

// Something a template reads, found without rendering it (for `shopflow validate`).
struct Reference {
  enum class Kind { Variable, Partial };
  Kind kind = Kind::Variable;
  // Variable: the root name and the keys read below it, as far as they are written out
  // ("#" for an array element: a[0], a.first, the item of a for loop over a); the path ends at
  // a key computed at render time or at `size`. Names the template binds itself (assign,
  // capture, a loop's item) are resolved to what they stand for or left out.
  // Partial: the name of a template rendered or included by a literal name.
  std::vector<std::string> path;
  bool optional = false;  // read under `default` or tested by `{% if x %}`: absence is expected
  int line = 0, column = 0;
  // Partial: what names inside the partial stand for in the caller, later entries first to
  // apply: its keyword arguments, the item of `for x as name` / `with x as name`, and for an
  // `include` (which shares the caller's scope) the caller's own names. A path as in `path`;
  // nullopt for a value computed in the caller (a literal, a filtered value). Names the
  // partial reads that are not bound here come from the render's data.
  std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>> bindings;
  bool isolated = true;  // Partial: a `render` (its own scope), not an `include`
};

class Template {
 public:
  Template() = default;

  // Parses `source`. Fails with the line and column of the bad tag or output.
  static Result<Template> parse(std::string_view source, const Options& options = {});

  // Renders with `data` as the outermost scope. Fails with a message and, where known, the
  // line and column of the offending tag (limit reached, strict-mode undefined name, ...).
  Result<std::string> render(const Json& data, const Options& options = {}) const;

  // The variables and partials the template reads, in document order (empty when not parsed).
  // Dynamic partial names and keys computed at render time are not resolved.
  std::vector<Reference> references() const;

 private:
  std::shared_ptr<const Document> doc_;
};

}  // namespace shopflow::liquid
