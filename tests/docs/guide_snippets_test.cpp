// Every ```cpp block of docs/programming-guide.md is one of the snippets below, so the guide
// only shows code that compiles (and the snippets run under the manual clock where they
// can). The test at the end checks that each block of the guide appears here verbatim.

#include <gtest/gtest.h>

#include <ember/ember.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "testing/harness.hpp"

namespace guide {

// [snippet:quick-example]
int networkWordCount(int argc, char** argv) {
  auto conf = ember::Conf::fromArgs(argc, argv).setAppName("NetworkWordCount");
  ember::StreamingContext ssc(conf, ember::Seconds(1));

  auto lines = ssc.socketTextStream("localhost", 9999);
  auto words = lines.flatMap([](std::string_view line) { return ember::split(line, ' '); });
  auto pairs = words.map([](std::string_view word) { return std::pair(word, 1); });
  auto wordCounts = pairs.reduceByKey(std::plus<>());
  wordCounts.print();

  ssc.start();             // start the computation
  ssc.awaitTermination();  // wait for it to stop (Ctrl-C, stop(), or a failed batch)
  return 0;
}
// [end]

// [snippet:conf]
ember::Conf makeConf(int argc, char** argv) {
  // conf/ember-defaults.conf < EMBER_* environment variables < --conf key=value flags < code
  auto conf = ember::Conf::fromArgs(argc, argv);
  conf.setIfMissing("ember.app.name", "MyApp");
  conf.set("spark.streaming.blockInterval", "100ms");  // Spark's key works as an alias
  return conf;
}
// [end]

void sources(ember::StreamingContext& ssc) {
  // [snippet:sources]
  auto fromSocket = ssc.socketTextStream("localhost", 9999);  // DStream<std::string>
  auto fromFiles = ssc.textFileStream("/data/incoming");      // new files, each once
  auto generated = ssc.generatorStream(1000, [](int64_t i) {  // 1000 records/s
    return i % 10;
  });
  auto queue = std::make_shared<ember::RddQueue<int>>();  // RDDs pushed by the program
  auto fromQueue = ssc.queueStream(queue);
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}));
  // [end]
  (void)fromSocket;
  (void)fromFiles;
  (void)generated;
  (void)fromQueue;
}

// [snippet:receiver]
class CounterReceiver : public ember::Receiver<int64_t> {
 public:
  void onStart() override {
    thread_ = std::thread([this] {
      for (int64_t i = 0; !isStopped(); ++i) {
        store(i);  // buffered into blocks; one block per blockInterval
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  void onStop() override {
    if (thread_.joinable()) thread_.join();
  }
  std::string name() const override { return "CounterReceiver"; }

 private:
  std::thread thread_;
};
// [end]

void transformations(ember::DStream<std::string> lines,
                     ember::DStream<std::pair<std::string, double>> prices) {
  // [snippet:transformations]
  auto lengths = lines.map([](const std::string& l) { return l.size(); });
  auto errors = lines.filter([](const std::string& l) { return l.starts_with("ERROR"); });
  auto words = lines.flatMap([](std::string_view l) { return ember::words(l); });
  auto counts = words.countByValue();  // (word, occurrences)
  auto keyed = lines.map([](const std::string& l) { return std::pair(l.substr(0, 3), 1); });
  auto perKey = keyed.reduceByKey(std::plus<>(), 4);  // 4 partitions
  auto grouped = keyed.groupByKey();                  // (key, all values)
  auto joined = perKey.join(prices);                  // (key, (count, price))
  auto sorted = perKey.transform([](const ember::RDD<std::pair<std::string, int>>& rdd) {
    return rdd.sortBy([](const auto& kv) { return kv.second; }, false);
  });
  // [end]
  (void)lengths;
  (void)errors;
  (void)counts;
  (void)grouped;
  (void)joined;
  (void)sorted;
}

void windows(ember::DStream<std::pair<std::string, int>> pairs) {
  // [snippet:windows]
  // Word counts over the last 30 seconds, every 10 seconds: incrementally, adding the
  // batches that enter the window and subtracting those that leave; keys at 0 are dropped.
  auto windowed = pairs.reduceByKeyAndWindow(
      std::plus<>(), std::minus<>(), ember::Seconds(30), ember::Seconds(10), 0,
      [](const std::pair<std::string, int>& kv) { return kv.second != 0; });
  auto lastMinute = pairs.window(ember::Minutes(1));  // every batch
  auto counted = pairs.countByWindow(ember::Seconds(30), ember::Seconds(10));
  // [end]
  (void)windowed;
  (void)lastMinute;
  (void)counted;
}

void state(ember::DStream<std::pair<std::string, int>> pairs) {
  // [snippet:state]
  auto runningCounts =
      pairs.updateStateByKey([](const std::vector<int>& values, std::optional<int64_t> count) {
        int64_t total = count.value_or(0);
        for (int v : values) total += v;
        return std::optional<int64_t>(total);  // std::nullopt would remove the key
      });
  // [end]
  (void)runningCounts;
}

void mapWithStateSnippet(ember::DStream<std::pair<std::string, int>> pairs) {
  // [snippet:map-with-state]
  auto spec = ember::StateSpec::function([](const std::string& word, std::optional<int> one,
                                            ember::State<int>& state) {
                if (state.isTimingOut()) return std::pair<std::string, int>(word, -1);
                int sum = one.value_or(0) + state.getOption().value_or(0);
                state.update(sum);
                return std::pair<std::string, int>(word, sum);
              }).timeout(ember::Minutes(30));  // forget words unseen for 30 minutes
  auto counts = pairs.mapWithState(spec);      // (word, count) for the words of each batch
  auto all = counts.stateSnapshots();          // every word's count after each batch
  // [end]
  (void)all;
}

// [snippet:checkpoint]
std::unique_ptr<ember::StreamingContext> createContext(const ember::Conf& conf) {
  auto ssc = std::make_unique<ember::StreamingContext>(conf, ember::Seconds(1));
  ssc->checkpoint("/var/lib/wordcount/checkpoint");
  ssc->socketTextStream("localhost", 9999)
      .flatMap([](std::string_view line) { return ember::split(line, ' '); })
      .map([](std::string_view w) { return std::pair(std::string(w), int64_t{1}); })
      .updateStateByKey([](const std::vector<int64_t>& ones, std::optional<int64_t> total) {
        return std::optional<int64_t>(total.value_or(0) + static_cast<int64_t>(ones.size()));
      })
      .print();
  return ssc;
}

void runRecoverable(const ember::Conf& conf) {
  // The same graph is built on every start; its state comes back from the checkpoint.
  auto ssc = ember::StreamingContext::getOrCreate("/var/lib/wordcount/checkpoint",
                                                  [&] { return createContext(conf); });
  ssc->start();
  ssc->awaitTermination();
}
// [end]

void emitter(ember::DStream<std::string> lines) {
  // [snippet:emitter]
  auto pairs = lines.flatMap<std::pair<std::string_view, int>>(
      [](std::string_view line, ember::Emitter<std::pair<std::string_view, int>>& emit) {
        for (std::string_view w : ember::split(line, ' ')) emit({w, 1});
      });
  // [end]
  (void)pairs;
}

void outputs(ember::DStream<std::pair<std::string, int>> counts) {
  // [snippet:outputs]
  counts.print(20);                               // first 20 elements of every batch
  counts.saveAsTextFiles("/data/counts", "txt");  // /data/counts-<ms>.txt/part-00000 ...
  counts.foreachRDD([](const ember::RDD<std::pair<std::string, int>>& rdd, ember::Time time) {
    for (const auto& [word, n] : rdd.collect()) {
      std::cout << time.milliseconds() << ' ' << word << ' ' << n << '\n';
    }
  });
  // [end]
}

// [snippet:listener]
class DelayReporter : public ember::StreamingListener {
 public:
  void onBatchCompleted(const ember::BatchInfo& batch) override {
    std::cout << batch.batchTime.toString() << ": " << batch.numRecords()
              << " records, scheduling delay " << batch.schedulingDelay().value_or(0)
              << " ms, processing " << batch.processingDelay().value_or(0) << " ms\n";
  }
};
// ssc.addStreamingListener(std::make_shared<DelayReporter>());
// [end]

struct Click {
  std::string user;
  int64_t timestamp_ms = 0;
  double price = 0;
  bool operator==(const Click&) const = default;
};
// [snippet:struct]
EMBER_STRUCT(Click, user, timestamp_ms, price);  // codec, hash and rendering for Click
// [end]

}  // namespace guide

namespace ember {
namespace {

TEST(GuideSnippets, ManualClockTestRunsAsShown) {
  // [snippet:testing]
  ember::Conf conf;
  conf.set("ember.streaming.clock", "manual");
  ember::StreamingContext ssc(conf, ember::Seconds(1));
  auto queue = std::make_shared<ember::RddQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}));
  std::vector<int64_t> results;
  ssc.queueStream(queue).count().foreachRDD(
      [&](const ember::RDD<int64_t>& rdd) { results.push_back(rdd.first()); });
  ssc.start();
  ssc.clock().advance(ember::Seconds(2));  // returns when the batches at 1 s and 2 s are done
  ssc.stop();
  // results == {3, 0}
  // [end]
  EXPECT_EQ(results, (std::vector<int64_t>{3, 0}));
}

TEST(GuideSnippets, ListenerCompiles) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  ssc.addStreamingListener(std::make_shared<guide::DelayReporter>());
  ssc.queueStream(std::make_shared<RddQueue<int>>()).foreachRDD([](const RDD<int>&) {});
  ::testing::internal::CaptureStdout();
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  EXPECT_NE(::testing::internal::GetCapturedStdout().find("1000 ms: 0 records"), std::string::npos);
}

TEST(GuideSnippets, ReceiverAndStructWork) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto stream = ssc.receiverStream(std::make_shared<guide::CounterReceiver>());
  testing::BatchCollector<int64_t> out(stream);
  ssc.start();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ssc.receivedRecords(stream) < 5 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  ASSERT_FALSE(out.batches().empty());
  EXPECT_GE(out.batches()[0].size(), 5u);
  EXPECT_EQ(out.batches()[0][0], 0);

  guide::Click c{"ann", 5, 1.5};
  EXPECT_EQ(toString(c), "Click(ann,5,1.5)");
  EXPECT_EQ(decodeFramed<guide::Click>(encodeFramed(c)), c);
}

TEST(GuideSnippets, SharedVariablesCountAsShown) {
  StreamingContext ssc(testing::testConf(), Seconds(1));
  auto queue = std::make_shared<RddQueue<std::string>>();
  queue->push(ssc.parallelize(std::vector<std::string>{"the cat", "a dog and the cat"}, 2));
  auto words = ssc.queueStream(queue).flatMap([](std::string_view l) { return split(l, ' '); });
  ::testing::internal::CaptureStdout();
  // [snippet:shared-variables]
  auto& sc = ssc.sparkContext();
  auto stopWords = sc.broadcast(std::set<std::string, std::less<>>{"a", "the"});
  auto dropped = sc.longAccumulator("droppedWords");
  auto kept = words.filter([stopWords, dropped](std::string_view w) {
    if (!stopWords.value().contains(w)) return true;
    dropped.add(1);
    return false;
  });
  kept.foreachRDD([dropped](const ember::RDD<std::string_view>& rdd) {
    std::cout << rdd.count() << " kept, " << dropped.value() << " dropped so far\n";
  });
  // [end]
  ssc.start();
  ssc.clock().advance(Seconds(1));
  ssc.stop();
  // "the cat" and "a dog and the cat": 4 words kept, 3 dropped.
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "4 kept, 3 dropped so far\n");
  EXPECT_EQ(sc.accumulators(), (std::vector<std::pair<std::string, int64_t>>{{"droppedWords", 3}}));
}

/// Code without any whitespace: formatting (clang-format's line breaks) does not matter.
std::string normalize(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch != ' ' && ch != '\n' && ch != '\t') out.push_back(ch);
  }
  return out;
}

TEST(GuideSnippets, EveryCodeBlockOfTheGuideIsCompiledHere) {
  std::ifstream guide_file(EMBER_SOURCE_DIR "/docs/programming-guide.md");
  std::ifstream self_file(EMBER_SOURCE_DIR "/tests/docs/guide_snippets_test.cpp");
  ASSERT_TRUE(guide_file && self_file);
  std::stringstream g, s;
  g << guide_file.rdbuf();
  s << self_file.rdbuf();
  std::string guide_text = g.str(), self_text = s.str();

  std::set<std::string> snippets;
  for (size_t pos = 0; (pos = self_text.find("// [snippet:", pos)) != std::string::npos;) {
    size_t start = self_text.find('\n', pos) + 1;
    size_t end = self_text.find("// [end]", start);
    snippets.insert(normalize(self_text.substr(start, end - start)));
    pos = end;
  }
  int blocks = 0;
  for (size_t pos = 0; (pos = guide_text.find("```cpp\n", pos)) != std::string::npos;) {
    size_t start = pos + 7;
    size_t end = guide_text.find("```", start);
    std::string block = normalize(guide_text.substr(start, end - start));
    EXPECT_TRUE(snippets.count(block))
        << "docs/programming-guide.md has a cpp block that is not a compiled "
           "snippet of tests/docs/guide_snippets_test.cpp:\n"
        << guide_text.substr(start, end - start);
    ++blocks;
    pos = end + 3;
  }
  EXPECT_GE(blocks, 8);
}

}  // namespace
}  // namespace ember
