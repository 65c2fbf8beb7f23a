#pragma once
/// Allocation-free text splitting for `flatMap`:
///
///   lines.flatMap([](std::string_view line) { return ember::split(line, ' '); })
///
/// yields `std::string_view` tokens that point into the line, so a word count never copies
/// a word. `split` follows Java's `String.split` (what Spark programs call): empty tokens
/// between adjacent separators are kept, trailing empty tokens are dropped, and an empty
/// line yields one empty token. `words` splits on runs of ASCII whitespace and never
/// yields empty tokens.

#include <cstddef>
#include <iterator>
#include <string_view>

namespace ember {

/// A lazy range of tokens; cheap to copy; valid while the text it views is.
class SplitRange {
 public:
  class iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    iterator() = default;
    iterator(const SplitRange* r, size_t pos) : r_(r), pos_(pos) { find(); }
    std::string_view operator*() const { return r_->text_.substr(pos_, len_); }
    iterator& operator++() {
      pos_ += len_ + 1;
      find();
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return pos_ == o.pos_; }

   private:
    void find() {
      if (r_ != nullptr && r_->empty_line_ && pos_ == 0) {
        len_ = 0;  // "".split(" ") is one empty token in Java
        return;
      }
      if (r_ == nullptr || pos_ >= r_->end_) {
        pos_ = kEnd;
        return;
      }
      if (r_->whitespace_) {
        while (pos_ < r_->end_ && isSpace(r_->text_[pos_])) ++pos_;
        if (pos_ >= r_->end_) {
          pos_ = kEnd;
          return;
        }
        size_t e = pos_;
        while (e < r_->end_ && !isSpace(r_->text_[e])) ++e;
        len_ = e - pos_;
      } else {
        size_t e = r_->text_.find(r_->sep_, pos_);
        if (e == std::string_view::npos || e > r_->end_) e = r_->end_;
        len_ = e - pos_;
      }
    }
    static constexpr size_t kEnd = static_cast<size_t>(-1);
    const SplitRange* r_ = nullptr;
    size_t pos_ = kEnd;
    size_t len_ = 0;
  };

  SplitRange(std::string_view text, char sep, bool whitespace)
      : text_(text), sep_(sep), whitespace_(whitespace) {
    if (whitespace_) {
      end_ = text_.size();
    } else if (text_.empty()) {
      end_ = 0;
      empty_line_ = true;
    } else {
      // Java drops trailing empty tokens: stop after the last non-separator character.
      size_t last = text_.find_last_not_of(sep_);
      end_ = last == std::string_view::npos ? 0 : last + 1;
    }
  }
  iterator begin() const { return iterator(this, 0); }
  iterator end() const { return iterator(); }

  static constexpr bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  }

 private:
  friend class iterator;
  std::string_view text_;
  char sep_;
  bool whitespace_;
  bool empty_line_ = false;
  size_t end_ = 0;
};

/// Java `String.split` on a single character.
inline SplitRange split(std::string_view text, char separator) {
  return SplitRange(text, separator, false);
}

/// Tokens separated by runs of whitespace.
inline SplitRange words(std::string_view text) { return SplitRange(text, ' ', true); }

}  // namespace ember
