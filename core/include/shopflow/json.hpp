// The JSON value type of the core.
//
// Documents keep the order of their keys (bundles round-trip through the studio and diff
// cleanly), so the core uses an ordered JSON type everywhere under one name.
#pragma once

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <string_view>

#include "shopflow/result.hpp"

namespace shopflow {

// The members of a JSON object, in document order: nlohmann's ordered_map, which keeps
// (const key, value) pairs in a vector, except that it grows that vector itself. The vector
// would copy every pair when it grows (a pair with a const key cannot be moved), and with it
// each member's whole value: building or parsing an object of large members was quadratic
// in copies. Here growing copies the keys and moves the values.
template <class Key, class T, class IgnoredLess = std::less<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
struct JsonObjectMembers : nlohmann::ordered_map<Key, T, IgnoredLess, Allocator> {
  using Base = nlohmann::ordered_map<Key, T, IgnoredLess, Allocator>;
  using Base::Base;

  template <class... Args>
  auto emplace(Args&&... args) {
    make_room(1);
    return Base::emplace(std::forward<Args>(args)...);
  }
  template <class K>
  T& operator[](K&& key) {
    make_room(1);
    return Base::operator[](std::forward<K>(key));
  }
  template <class K>
  const T& operator[](K&& key) const {
    return Base::operator[](std::forward<K>(key));
  }
  template <class Value>
  auto insert(Value&& value) {
    make_room(1);
    return Base::insert(std::forward<Value>(value));
  }
  template <class It>
  void insert(It first, It last) {
    if constexpr (std::is_base_of_v<std::forward_iterator_tag, typename std::iterator_traits<It>::iterator_category>) {
      make_room(static_cast<size_t>(std::distance(first, last)));
    }
    for (; first != last; ++first) insert(*first);
  }

 private:
  void make_room(size_t more) {
    if (this->size() + more <= this->capacity()) return;
    typename Base::Container grown;
    grown.reserve(std::max({size_t{4}, 2 * this->capacity(), this->size() + more}));
    for (auto& member : *this) {
      grown.emplace_back(std::piecewise_construct, std::forward_as_tuple(member.first),
                         std::forward_as_tuple(std::move(member.second)));
    }
    static_cast<typename Base::Container&>(*this).swap(grown);
  }
};

// Documents keep their keys in order (see above).
using Json = nlohmann::basic_json<JsonObjectMembers>;

// {key: value}, built in place (an initializer list would copy the value).
Json object_with(const char* key, Json value);

// Empties `j`, freeing its members from the leaves up. nlohmann_json frees a tree by moving
// its nodes onto a heap-allocated stack; a tree emptied first costs no such allocations.
void release_json(Json& j);

// Parses JSON text. On failure the Error names the line and column of the first bad byte and
// what the parser expected there; `what` names the input in the message ("bundle", "event").
// Arrays and objects nest at most kMaxJsonDepth deep: deeper text is refused with an Error that
// json_too_deep() recognises (what reads a document walks it recursively).
inline constexpr size_t kMaxJsonDepth = 128;
Result<Json> parse_json(std::string_view text, std::string_view what = "JSON");
bool json_too_deep(const Error& e);

// Appends `s` as a JSON string, escaped byte for byte as Json::dump() escapes it, for writing
// JSON text without building a Json first; bytes that are not UTF-8 become U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// Appends an object member's key and its colon, `,"key":` (without the comma when `first`). The
// key is written as it is: it must need no escaping.
void append_json_key(std::string& out, std::string_view key, bool first = false);

// Appends `j` as compact JSON text: the same bytes as j.dump() (strings as append_json_string
// writes them), without dump()'s per-character output adapter. For the text the engine stores
// and the trace holds, written for every run and effect.
void append_json(std::string& out, const Json& j);
// `j` as compact JSON text (append_json into a new string).
std::string json_text(const Json& j);
// The size in bytes of json_text(j), counted without writing it.
size_t json_text_size(const Json& j);

// The offset of the first byte of `s` that is not part of well-formed UTF-8, or npos when all
// of it is. JSON strings are UTF-8: text from outside a JSON document (an HTTP header, a raw
// body) is checked with this before it goes into one.
size_t invalid_utf8_at(std::string_view s);

// Appends a reference token to a JSON Pointer, escaping '~' and '/' as RFC 6901 says.
std::string pointer_join(const std::string& base, std::string_view token);
std::string pointer_join(const std::string& base, size_t index);

}  // namespace shopflow
