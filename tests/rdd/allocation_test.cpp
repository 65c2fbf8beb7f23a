// The word count path (flatMap(split) -> map(word, 1) -> reduceByKey) allocates nothing
// per word occurrence: only per new distinct key, per chunk and per task. Counted with a
// replaced global operator new (this test program only).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <ember/ember.hpp>
#include <new>

#include "testing/harness.hpp"

namespace {
std::atomic<uint64_t> g_allocations{0};
}  // namespace

// The replacement pair below is malloc/free based on purpose; GCC cannot see that new and
// delete are replaced together.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(size_t n, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new[](size_t n, const std::nothrow_t& tag) noexcept { return operator new(n, tag); }
// Every form is replaced, so whatever allocated a block, the matching delete frees it.
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ember {
namespace {

/// Allocations made by one word-count batch over `lines`.
uint64_t allocationsForWordCount(StreamingContext& ssc, const std::vector<std::string_view>& lines,
                                 int64_t* words_out) {
  auto rdd = ssc.parallelize(lines, 2);
  uint64_t before = g_allocations.load();
  auto counts =
      rdd.flatMap([](std::string_view l) { return split(l, ' '); })
          .map([](std::string_view w) { return std::pair<std::string_view, int64_t>(w, 1); })
          .reduceByKey(std::plus<int64_t>(), 2);
  *words_out = counts.map([](const auto& kv) { return kv.second; }).fold(0, std::plus<int64_t>());
  return g_allocations.load() - before;
}

TEST(WordCountAllocations, DoNotGrowWithWordOccurrences) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  ZipfText text(1000);
  std::string small_text = text.makeText(20000);
  std::string large_text = small_text;
  for (int i = 0; i < 9; ++i) large_text += small_text;  // 10x the words, the same vocabulary
  auto small_lines = ZipfText::lines(small_text);
  auto large_lines = ZipfText::lines(large_text);

  int64_t small_words = 0, large_words = 0;
  uint64_t small_allocs = allocationsForWordCount(ssc, small_lines, &small_words);
  uint64_t large_allocs = allocationsForWordCount(ssc, large_lines, &large_words);
  EXPECT_EQ(large_words, small_words * 10);
  // 9x more word occurrences may add only per-chunk buffers, never per-word allocations.
  uint64_t extra_words = static_cast<uint64_t>(large_words - small_words);
  uint64_t extra_allocs = large_allocs > small_allocs ? large_allocs - small_allocs : 0;
  EXPECT_LT(extra_allocs * 100, extra_words)
      << "small: " << small_allocs << " allocations for " << small_words
      << " words; large: " << large_allocs << " for " << large_words;
}

// Chunks of (word, 1) pairs own no memory a view could point into: the map's buffer is reused
// rather than handed downstream as a new allocation per 1024 pairs.
TEST(WordCountAllocations, WordPairChunksAreReused) {
  StreamingContext ssc(testing::testConf(2), Seconds(1));
  ZipfText text(1000);
  std::string small_text = text.makeText(20000);
  std::string large_text = small_text;
  for (int i = 0; i < 9; ++i) large_text += small_text;
  auto pairsCounted = [&](const std::string& t, int64_t* pairs) {
    auto rdd = ssc.parallelize(ZipfText::lines(t), 2);
    uint64_t before = g_allocations.load();
    *pairs = rdd.flatMap<std::string_view>([](std::string_view l, Emitter<std::string_view>& emit) {
                  for (auto w : split(l, ' ')) emit(w);
                })
                 .map([](std::string_view w) { return std::pair<std::string_view, int>(w, 1); })
                 .count();
    return g_allocations.load() - before;
  };
  int64_t small_pairs = 0, large_pairs = 0;
  uint64_t small_allocs = pairsCounted(small_text, &small_pairs);
  uint64_t large_allocs = pairsCounted(large_text, &large_pairs);
  EXPECT_EQ(large_pairs, small_pairs * 10);
  uint64_t extra_chunks = static_cast<uint64_t>(large_pairs - small_pairs) / 1024;
  uint64_t extra_allocs = large_allocs > small_allocs ? large_allocs - small_allocs : 0;
  EXPECT_LT(extra_allocs * 10, extra_chunks)
      << "small: " << small_allocs << " allocations for " << small_pairs
      << " pairs; large: " << large_allocs << " for " << large_pairs;
}

}  // namespace
}  // namespace ember
