// Checkpoint files: atomic writes, checksummed reads, fallback to an older file, clean-up.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ember/error.hpp>
#include <ember/hash.hpp>
#include <ember/internal/checkpoint.hpp>
#include <ember/logging.hpp>

#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "Checkpoint";
constexpr size_t kHeaderSize = 8 + 4 + 8 + 8;

std::string errnoText() { return std::strerror(errno); }

void putFixed(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t getFixed(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

}  // namespace

CheckpointStore::CheckpointStore(std::string directory, size_t retained)
    : directory_(std::move(directory)), retained_(std::max<size_t>(retained, 1)) {
  while (directory_.size() > 1 && directory_.back() == '/') directory_.pop_back();
}

std::string CheckpointStore::serialize(const CheckpointContents& contents) {
  std::string body = encode(contents);
  std::string out;
  out.reserve(kHeaderSize + body.size());
  out.append(kCheckpointMagic);
  putFixed(out, kCheckpointFormatVersion, 4);
  putFixed(out, body.size(), 8);
  putFixed(out, hashBytes(body.data(), body.size()), 8);
  out += body;
  return out;
}

CheckpointContents CheckpointStore::parse(std::string_view bytes) {
  if (bytes.size() < kHeaderSize) {
    throw DecodeError("truncated: " + std::to_string(bytes.size()) +
                      " bytes are too short for a checkpoint header (" +
                      std::to_string(kHeaderSize) + ")");
  }
  if (bytes.substr(0, kCheckpointMagic.size()) != kCheckpointMagic) {
    throw DecodeError("not an Ember checkpoint: the file does not start with \"" +
                      std::string(kCheckpointMagic) + "\"");
  }
  uint64_t version = getFixed(bytes, 8, 4);
  if (version == 0 || version > kCheckpointFormatVersion) {
    throw DecodeError("checkpoint format version " + std::to_string(version) +
                      " is not one this build reads (1 to " +
                      std::to_string(kCheckpointFormatVersion) + ")");
  }
  uint64_t length = getFixed(bytes, 12, 8);
  uint64_t checksum = getFixed(bytes, 20, 8);
  std::string_view body = bytes.substr(kHeaderSize);
  if (body.size() != length) {
    throw DecodeError("truncated: the header announces " + std::to_string(length) +
                      " bytes of data, the file holds " + std::to_string(body.size()));
  }
  if (hashBytes(body.data(), body.size()) != checksum) {
    throw DecodeError("checksum mismatch: the file is corrupt");
  }
  return decode<CheckpointContents>(body);
}

std::string CheckpointStore::write(const CheckpointContents& contents) const {
  makeDirectories(directory_, "checkpoint directory");
  std::string name = std::string(kCheckpointPrefix) + std::to_string(contents.meta.time_ms);
  std::string path = directory_ + "/" + name;
  std::string temp = directory_ + "/." + name + ".tmp";
  std::string bytes = serialize(contents);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("Cannot create checkpoint file '" + temp + "': " + errnoText());
  try {
    writeAllToFd(fd, bytes.data(), bytes.size(), temp);
    if (::fsync(fd) != 0)
      throw IoError("Cannot sync checkpoint file '" + temp + "': " + errnoText());
  } catch (...) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    std::string reason = errnoText();
    ::unlink(temp.c_str());
    throw IoError("Cannot write checkpoint file '" + temp + "': " + reason);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    std::string reason = errnoText();
    ::unlink(temp.c_str());
    throw IoError("Cannot rename checkpoint file '" + temp + "' to '" + path + "': " + reason);
  }
  // The rename is durable once the directory is synced.
  if (std::string reason; !syncDirectory(directory_, reason)) {
    throw IoError("Cannot sync checkpoint directory '" + directory_ + "' after writing '" + path +
                  "': " + reason);
  }
  auto files = list();
  for (size_t i = retained_; i < files.size(); ++i) {
    if (::unlink(files[i].second.c_str()) != 0 && errno != ENOENT) {
      logWarn(kLog, "Cannot remove old checkpoint '" + files[i].second + "': " + errnoText());
    }
  }
  return path;
}

std::vector<std::pair<int64_t, std::string>> CheckpointStore::list() const {
  std::vector<std::pair<int64_t, std::string>> out;
  auto files = numberedFiles(directory_, kCheckpointPrefix);
  for (auto it = files.rbegin(); it != files.rend(); ++it) {  // newest first
    out.emplace_back(static_cast<int64_t>(it->first), std::move(it->second));
  }
  return out;
}

std::optional<LoadedCheckpoint> CheckpointStore::readLatest() const {
  auto files = list();
  if (files.empty()) return std::nullopt;
  std::string problems;
  for (const auto& [time, path] : files) {
    std::string bytes, error;
    if (readFile(path, bytes, error)) {
      try {
        LoadedCheckpoint loaded{path, parse(bytes)};
        if (loaded.contents.meta.time_ms != time) {
          throw DecodeError("it holds batch time " + std::to_string(loaded.contents.meta.time_ms) +
                            " ms, not the one in its name");
        }
        if (!problems.empty()) {
          logWarn(kLog, "Recovering from the older checkpoint '" + path + "'");
        }
        return loaded;
      } catch (const DecodeError& e) {
        error = e.what();
      }
    }
    logWarn(kLog, "Cannot read checkpoint '" + path + "': " + error +
                      (&path != &files.back().second ? "; trying the previous one" : ""));
    problems += "\n  " + path + ": " + error;
  }
  throw CheckpointError("No usable checkpoint in '" + directory_ + "':" + problems +
                        "\nMove the directory away to start afresh (state will be lost).");
}

}  // namespace ember::detail
