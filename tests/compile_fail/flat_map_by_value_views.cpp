// A flatMap that takes each line BY VALUE and returns views into that copy (issue 13 §1):
// the words would dangle as soon as the function returns, so it must not compile.
// expect-error: ember: this function takes its element BY VALUE and returns views
#include <ember/ember.hpp>

void build(ember::DStream<std::string> lines) {
  lines.flatMap([](std::string line) { return ember::split(line, ' '); }).count().print();
}
