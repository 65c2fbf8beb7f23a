#include <algorithm>
#include <cmath>
#include <ember/datagen.hpp>
#include <unordered_set>

namespace ember {
namespace {
constexpr std::string_view kConsonants = "bdfgklmnprstvz";
constexpr std::string_view kVowels = "aeiou";
}  // namespace

ZipfText::ZipfText(size_t vocabulary, double exponent, uint64_t seed)
    : state_(seed * 0x9E3779B97F4A7C15ULL + 1) {
  if (vocabulary == 0) vocabulary = 1;
  std::unordered_set<std::string> used;
  words_.reserve(vocabulary);
  while (words_.size() < vocabulary) {
    // 2 to 4 consonant-vowel syllables; frequent ranks get the shorter words, as in language.
    size_t syllables =
        2 + std::min<size_t>(
                2, static_cast<size_t>(std::log10(static_cast<double>(words_.size() + 10))) - 1);
    std::string w;
    for (size_t s = 0; s < syllables; ++s) {
      w.push_back(kConsonants[nextRandom() % kConsonants.size()]);
      w.push_back(kVowels[nextRandom() % kVowels.size()]);
    }
    if (used.insert(w).second) words_.push_back(std::move(w));
  }
  cdf_.resize(vocabulary);
  double total = 0;
  for (size_t r = 0; r < vocabulary; ++r) {
    total += 1.0 / std::pow(static_cast<double>(r + 1), exponent);
    cdf_[r] = total;
  }
  for (double& c : cdf_) c /= total;
}

uint64_t ZipfText::nextRandom() {
  // splitmix64: fixed algorithm, so the text is the same everywhere.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

const std::string& ZipfText::nextWord() {
  double u = static_cast<double>(nextRandom() >> 11) * 0x1.0p-53;
  size_t r = static_cast<size_t>(std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin());
  return words_[std::min(r, words_.size() - 1)];
}

std::string ZipfText::makeText(size_t bytes, size_t words_per_line) {
  std::string text;
  text.reserve(bytes + 128);
  while (text.size() < bytes) {
    for (size_t i = 0; i < words_per_line; ++i) {
      if (i > 0) text.push_back(' ');
      text += nextWord();
    }
    text.push_back('\n');
  }
  return text;
}

std::vector<std::string> ZipfText::makeLines(size_t count, size_t words_per_line) {
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t l = 0; l < count; ++l) {
    std::string line;
    for (size_t i = 0; i < words_per_line; ++i) {
      if (i > 0) line.push_back(' ');
      line += nextWord();
    }
    out.push_back(std::move(line));
  }
  return out;
}

std::vector<std::string_view> ZipfText::lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace ember
