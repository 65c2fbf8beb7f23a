#pragma once
/// Deterministic synthetic text for demos, tests and benchmarks: words drawn from a Zipf
/// distribution over a vocabulary of made-up, pronounceable words ("kalo", "mitesu", ...),
/// as natural text is. The same seed gives the same text on every machine.
///
///   ember::ZipfText text(100000);                        // 100,000 distinct words
///   std::string corpus = text.makeText(64 << 20);       // 64 MB of lines of 10 words
///   auto lines = ember::ZipfText::lines(corpus);         // views into `corpus`
///
/// Thread-compatible: use one instance per thread.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ember {

class ZipfText {
 public:
  /// `vocabulary` distinct words; word of rank r (1-based) has weight 1 / r^exponent.
  explicit ZipfText(size_t vocabulary, double exponent = 1.0, uint64_t seed = 42);

  const std::vector<std::string>& vocabulary() const { return words_; }
  /// One word drawn from the distribution.
  const std::string& nextWord();
  /// At least `bytes` of text: lines of `words_per_line` words separated by single spaces.
  std::string makeText(size_t bytes, size_t words_per_line = 10);
  /// `count` lines of `words_per_line` words.
  std::vector<std::string> makeLines(size_t count, size_t words_per_line = 10);
  /// The lines of `text` (split on '\n'), as views into it.
  static std::vector<std::string_view> lines(std::string_view text);

 private:
  uint64_t nextRandom();
  std::vector<std::string> words_;
  std::vector<double> cdf_;
  uint64_t state_;
};

}  // namespace ember
