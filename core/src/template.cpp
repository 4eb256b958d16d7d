// Templates: the public face of the Liquid implementation (shopflow/template.hpp).
//
// Template::parse and Template::render wrap the parser (liquid_parser.cpp) and the renderer
// (liquid_render.cpp). They are the boundary where internal LiquidError exceptions, and anything
// else thrown (allocation failure, JSON library errors), become shopflow::Error values: nothing
// thrown crosses the public API.
#include "shopflow/template.hpp"

#include <new>

#include "liquid_internal.hpp"

namespace shopflow::liquid {

struct PartialCache {
  detail::PartialCacheEntries entries;
};

std::shared_ptr<PartialCache> make_partial_cache() { return std::make_shared<PartialCache>(); }

namespace detail {
PartialCacheEntries* partial_cache_entries(PartialCache& cache) { return &cache.entries; }
}  // namespace detail

Result<Template> Template::parse(std::string_view source, const Options& options) {
  try {
    Template t;
    t.doc_ = detail::parse_document(source, options);
    return t;
  } catch (const detail::LiquidError& e) {
    return Error{e.message, "", e.line, e.column};
  } catch (const std::bad_alloc&) {
    return Error{"out of memory while parsing the template", "", 0, 0};
  } catch (const std::exception& e) {
    return Error{std::string("template could not be parsed: ") + e.what(), "", 0, 0};
  } catch (...) {
    return Error{"template could not be parsed", "", 0, 0};
  }
}

Result<std::string> Template::render(const Json& data, const Options& options) const {
  if (!doc_) return Error{"template was not parsed", "", 0, 0};
  detail::Shared shared;
  shared.options = &options;
  std::string out;
  try {
    detail::Renderer r(shared, &data);
    r.render_body(doc_->body, out);
    return out;
  } catch (const detail::LiquidError& e) {
    return Error{e.message, "", e.line, e.column};
  } catch (const std::bad_alloc&) {
    return Error{"out of memory while rendering the template", "", 0, 0};
  } catch (const std::exception& e) {
    return Error{std::string("template could not be rendered: ") + e.what(), "", 0, 0};
  } catch (...) {
    return Error{"template could not be rendered", "", 0, 0};
  }
}

}  // namespace shopflow::liquid
