#pragma once
/// The message of a captured exception, for logs and error reports.

#include <exception>
#include <string>

namespace ember::detail {

/// `what()` of the exception in `e`; empty for no exception.
inline std::string describeException(const std::exception_ptr& e) {
  if (!e) return "";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

}  // namespace ember::detail
