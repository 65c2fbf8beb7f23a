// Compiled by `make check-thread-safety` only, never run: clang analyses a template's
// locking only once it is instantiated, and the library alone does not instantiate the
// typed engine (block generators, DStream nodes, shuffles, windows, state). This builds a
// graph that does.

#include <ember/ember.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

class Ints final : public ember::Receiver<int> {
 public:
  void onStart() override {
    store(1);
    std::vector<int> some{2, 3};
    storeMany(some);
    store(std::vector<int>{4}, "position");
    (void)lastStoredPosition();
  }
  void onStop() override {}
};

[[maybe_unused]] void graph(ember::StreamingContext& ssc) {
  auto pairs = ssc.receiverStream(std::make_shared<Ints>()).map([](int x) {
    return std::pair<int, int64_t>(x % 7, 1);
  });
  pairs.reduceByKey(std::plus<int64_t>()).print();
  pairs.repartition(3).print();
  pairs.window(ember::Seconds(3), ember::Seconds(1)).print();
  pairs
      .reduceByKeyAndWindow(std::plus<int64_t>(), std::minus<int64_t>(), ember::Seconds(3),
                            ember::Seconds(1))
      .print();
  pairs
      .updateStateByKey([](const std::vector<int64_t>& values, std::optional<int64_t> state) {
        int64_t sum = state.value_or(0);
        for (int64_t v : values) sum += v;
        return std::optional<int64_t>(sum);
      })
      .print();
  auto count = [](const int& key, std::optional<int64_t> one, ember::State<int64_t>& state) {
    state.update(one.value_or(0) + state.getOption().value_or(0));
    return key;
  };
  pairs.mapWithState(ember::StateSpec::function(count)).print();
}

}  // namespace
