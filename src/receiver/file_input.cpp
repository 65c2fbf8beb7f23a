#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <ember/internal/file_input.hpp>
#include <ember/logging.hpp>
#include <limits>

#include "core/file_io.hpp"

namespace ember::detail {
namespace {

constexpr const char* kLog = "FileInputDStream";

bool ignoredName(const std::string& name) {
  return name.empty() || name[0] == '.' || name[0] == '_' || name.ends_with("._COPYING_");
}

int64_t mtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

bool isGlobPattern(const std::string& path) {
  return path.find_first_of("*?[") != std::string::npos;
}

/// Lists regular files (following symlinks) that are not hidden, as `prefix + name`;
/// false if the directory cannot be listed.
template <class Candidate>
bool listFiles(const std::string& dir, const std::string& prefix, std::vector<Candidate>& out,
               std::string& error) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    error = std::strerror(errno);
    return false;
  }
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (ignoredName(name)) continue;
    struct stat st;
    if (::stat((dir + "/" + name).c_str(), &st) != 0) {
      // A dangling symlink or a file that just vanished: report it as unreadable later.
      out.push_back({prefix + name, 0, 0});
      continue;
    }
    if (!S_ISREG(st.st_mode)) continue;
    out.push_back({prefix + name, static_cast<uint64_t>(st.st_ino), mtimeNs(st)});
  }
  ::closedir(d);
  return true;
}

enum class ReadResult { kRead, kBusy, kFailed };

/// Without a lease, a file modified this recently may still be being written.
constexpr int64_t kQuietNs = 1'000'000'000;

int64_t nowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// Reads a whole file unless another process has it open for writing (a Linux read lease
/// cannot be taken then), in which case it is left for a later batch. A process that may not
/// take a lease (the file belongs to another user) reads the file only once it has not
/// changed for a second.
ReadResult readWholeFile(const std::string& path, std::string& out, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return ReadResult::kFailed;
  }
  bool leased = ::fcntl(fd, F_SETLEASE, F_RDLCK) == 0;
  if (!leased && errno == EAGAIN) {
    ::close(fd);
    return ReadResult::kBusy;
  }
  if (struct stat st{}; !leased && ::fstat(fd, &st) == 0 && nowNs() - mtimeNs(st) < kQuietNs) {
    ::close(fd);
    return ReadResult::kBusy;
  }
  // Taking a lease makes this process the owner of the descriptor, so a writer opening the
  // file while we read would break the lease with SIGIO, whose default action kills the
  // process. With no owner, no signal is sent: the writer just waits until we unlock.
  if (leased) ::fcntl(fd, F_SETOWN, 0);
  bool ok = readAllFromFd(fd, out, error);
  if (leased) ::fcntl(fd, F_SETLEASE, F_UNLCK);
  ::close(fd);
  return ok ? ReadResult::kRead : ReadResult::kFailed;
}

/// Calls `each(start, length)` for every record of `text`: lines without their newline (and
/// one '\r' before it) when `record_length` is 0, else records of exactly that many bytes.
template <class Each>
void forEachRecord(const std::string& text, size_t record_length, Each&& each) {
  if (record_length != 0) {
    for (size_t pos = 0; pos + record_length <= text.size(); pos += record_length) {
      each(pos, record_length);
    }
    return;
  }
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string::npos ? text.size() : nl;
    size_t len = end - start;
    if (len > 0 && text[end - 1] == '\r') --len;
    each(start, len);
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
}

size_t countRecords(const std::string& text, size_t record_length) {
  if (record_length != 0) return text.size() / record_length;
  size_t newlines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

/// A batch of a file stream: one partition per file, holding the file's bytes. A task cuts
/// its file into strings a chunk at a time, so a file costs about its size in memory, not
/// a string object per line for the whole file (32 bytes or more each: 16 times the size of
/// a file of one-character lines).
class FileRecordsRdd final : public RddNode<std::string> {
 public:
  FileRecordsRdd(std::shared_ptr<Runtime> runtime,
                 std::vector<std::shared_ptr<const std::string>> files, size_t record_length,
                 std::string name)
      : RddNode<std::string>(std::move(runtime), std::move(name)),
        files_(std::move(files)),
        record_length_(record_length) {}
  size_t numPartitions() const override { return files_.size(); }
  void prepare() override {}
  void compute(size_t p, ChunkSink<std::string>& out) override {
    const std::string& text = *files_[p];
    auto chunk = std::make_shared<std::vector<std::string>>();
    chunk->reserve(kChunkSize);
    auto flush = [&] {
      // Views into the strings stay valid as long as the chunk: downstream keeps it alive
      // if it holds any; if not, the chunk is reused.
      out.keepAlive(chunk);
      out.push(std::span<const std::string>(*chunk));
      if (chunk.use_count() == 1) {
        chunk->clear();
      } else {
        chunk = std::make_shared<std::vector<std::string>>();
        chunk->reserve(kChunkSize);
      }
    };
    forEachRecord(text, record_length_, [&](size_t start, size_t length) {
      chunk->emplace_back(text, start, length);
      if (chunk->size() == kChunkSize) flush();
    });
    if (!chunk->empty()) flush();
  }

 private:
  std::vector<std::shared_ptr<const std::string>> files_;
  size_t record_length_;
};

}  // namespace

bool FileInputNode::seenName(const std::string& name) const {
  MutexLock lock(mu_);
  auto it = seen_.lower_bound(FileId{name, 0, std::numeric_limits<int64_t>::min()});
  return it != seen_.end() && std::get<0>(*it) == name;
}

FileInputNode::FileInputNode(StreamingCore* core, std::string directory, std::string name,
                             Options options)
    : DStreamNode<std::string>(core, {}, std::move(name)),
      directory_(std::move(directory)),
      options_(std::move(options)),
      glob_(isGlobPattern(directory_)) {}

std::optional<std::vector<FileInputNode::Candidate>> FileInputNode::listCandidates(
    std::string& error) const {
  std::vector<Candidate> out;
  if (!glob_) {
    if (!listFiles(directory_, "", out, error)) return std::nullopt;
  } else {
    // Every directory the pattern matches now: one that appears later is listed from then on.
    glob_t matches{};
    int rc = ::glob(directory_.c_str(), GLOB_ONLYDIR, nullptr, &matches);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      ::globfree(&matches);
      error = "cannot expand the pattern";
      return std::nullopt;
    }
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      std::string dir = matches.gl_pathv[i];
      struct stat st;
      if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      std::string ignored;  // a directory that vanished between glob and opendir
      listFiles(dir, dir + "/", out, ignored);
    }
    ::globfree(&matches);
  }
  if (options_.filter) {
    std::erase_if(out, [&](const Candidate& c) { return !options_.filter(pathOf(c.name)); });
  }
  std::sort(out.begin(), out.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.mtime_ns, a.name) < std::tie(b.mtime_ns, b.name);
  });
  return out;
}

void FileInputNode::checkWholeRecords(const std::string& path, const std::string& bytes) const {
  size_t n = options_.recordLength;
  if (n != 0 && bytes.size() % n != 0) {
    throw IoError("binaryRecordsStream: file '" + path + "' has " + std::to_string(bytes.size()) +
                  " bytes, which is not a multiple of the record length " + std::to_string(n));
  }
}

RddPtr<std::string> FileInputNode::filesRdd(Time t,
                                            std::vector<std::shared_ptr<const std::string>> files) {
  int64_t records = 0;
  for (const auto& bytes : files) {
    records += static_cast<int64_t>(countRecords(*bytes, options_.recordLength));
  }
  core().reportInput(t, id(), records);
  return std::make_shared<FileRecordsRdd>(core().runtime(), std::move(files), options_.recordLength,
                                          name());
}

void FileInputNode::startInput() {
  // A lease break between taking a lease and giving up ownership (F_SETOWN 0, above) would
  // still deliver SIGIO; its default action ends the process. Ignore it, unless the program
  // handles SIGIO itself.
  struct sigaction current {};
  if (::sigaction(SIGIO, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
    ::signal(SIGIO, SIG_IGN);
  MutexLock lock(mu_);
  // Recovered: every file not read before the checkpoint is new, including those that
  // appeared while the job was down.
  if (restored_ || !options_.newFilesOnly) return;
  std::string error;
  if (auto files = listCandidates(error)) {
    for (const auto& f : *files) seen_.insert({f.name, f.inode, f.mtime_ns});
  }
}

RddPtr<std::string> FileInputNode::readBatch(Time t, const std::vector<FileId>& files) {
  std::vector<std::shared_ptr<const std::string>> contents;
  for (const auto& [name, inode, mtime] : files) {
    std::string path = pathOf(name), text, error;
    if (readWholeFile(path, text, error) != ReadResult::kRead) {
      logWarn(kLog, "Cannot read file '" + path + "' again for batch " + t.toString() +
                        " (a window after recovery asks for it): " +
                        (error.empty() ? "it is being written" : error) + "; it is left out");
      continue;
    }
    checkWholeRecords(path, text);
    contents.push_back(std::make_shared<const std::string>(std::move(text)));
  }
  return filesRdd(t, std::move(contents));
}

std::optional<RddPtr<std::string>> FileInputNode::compute(Time t) {
  {
    MutexLock lock(mu_);
    if (restored_ && t <= *restored_) {
      // A batch from before the restart that a window asks for: the same files again.
      std::vector<FileId> files;
      if (auto it = selected_.find(t); it != selected_.end()) files = it->second;
      lock.unlock();
      return readBatch(t, files);
    }
  }
  std::vector<std::shared_ptr<const std::string>> contents;
  std::vector<FileId> selected;
  std::string error;
  auto files = listCandidates(error);
  if (!files) {
    if (!warned_missing_dir_) {
      logWarn(kLog, "Cannot list directory '" + directory_ + "': " + error + "; " + name() +
                        " will pick up files once it can");
      warned_missing_dir_ = true;
    }
  } else {
    if (warned_missing_dir_) logInfo(kLog, "Directory '" + directory_ + "' is readable now");
    warned_missing_dir_ = false;
    std::set<FileId> present;
    std::set<std::string> present_names;
    for (const auto& f : *files) {
      FileId id{f.name, f.inode, f.mtime_ns};
      present.insert(id);
      present_names.insert(f.name);
      // As Spark: a file is read once by name; writing to it or touching it later does not
      // make it new. Only this thread changes seen_.
      if (seenName(f.name)) continue;
      std::string path = pathOf(f.name);
      std::string text;
      switch (readWholeFile(path, text, error)) {
        case ReadResult::kBusy:
          logDebug(kLog,
                   "File '" + path + "' is still being written; it will be read in a later batch");
          continue;
        case ReadResult::kFailed:
          if (warned_.insert(id).second) {
            logWarn(kLog, "Cannot read file '" + path + "': " + error +
                              "; it will be retried every batch");
          }
          continue;
        case ReadResult::kRead:
          break;
      }
      checkWholeRecords(path, text);
      contents.push_back(std::make_shared<const std::string>(std::move(text)));
      selected.push_back(id);
      warned_.erase(id);
      logDebug(kLog, "Read " + path + " into batch " + t.toString());
    }
    // One step for checkpoints: a file is in seen_ only together with its batch's entry.
    MutexLock lock(mu_);
    seen_.insert(selected.begin(), selected.end());
    // Forget files that are gone, so the sets stay as small as the directory (a file
    // created again under the same name is new).
    std::erase_if(seen_,
                  [&](const FileId& id) { return present_names.count(std::get<0>(id)) == 0; });
    selected_[t] = selected;
    lock.unlock();
    std::erase_if(warned_, [&](const FileId& id) { return present.count(id) == 0; });
  }
  {
    MutexLock lock(mu_);
    selected_.try_emplace(t, std::move(selected));
    // Keep what windows and a checkpoint running behind generation may still ask for.
    Duration keep = std::max(rememberDuration(), slideDuration() * 100);
    selected_.erase(selected_.begin(), selected_.lower_bound(t - keep));
  }
  return filesRdd(t, std::move(contents));
}

std::function<void(ByteWriter&)> FileInputNode::checkpointSnapshot(Time t) {
  MutexLock lock(mu_);
  // The files read up to `t`: generation may already have read more for later batches.
  std::set<FileId> seen = seen_;
  for (auto it = selected_.upper_bound(t); it != selected_.end(); ++it) {
    for (const auto& id : it->second) seen.erase(id);
  }
  std::vector<std::pair<Time, std::vector<FileId>>> batches;
  for (auto it = selected_.upper_bound(t - rememberDuration());
       it != selected_.end() && it->first <= t; ++it) {
    batches.emplace_back(it->first, it->second);
  }
  return [seen = std::move(seen), batches = std::move(batches)](ByteWriter& out) {
    Codec<std::set<FileId>>::encode(seen, out);
    Codec<std::vector<std::pair<Time, std::vector<FileId>>>>::encode(batches, out);
  };
}

std::function<void(ByteWriter&)> FileInputNode::batchRecord(Time t) {
  MutexLock lock(mu_);
  auto it = selected_.find(t);
  std::vector<FileId> files = it != selected_.end() ? it->second : std::vector<FileId>{};
  return [files = std::move(files)](ByteWriter& out) {
    Codec<std::vector<FileId>>::encode(files, out);
  };
}

void FileInputNode::replayBatch(Time t, ByteReader& in) {
  auto files = Codec<std::vector<FileId>>::decode(in);
  MutexLock lock(mu_);
  seen_.insert(files.begin(), files.end());
  selected_[t] = std::move(files);
  restored_ = t;
}

void FileInputNode::restoreCheckpoint(Time t, ByteReader& in,
                                      const std::shared_ptr<const std::string>& /*bytes*/) {
  auto seen = Codec<std::set<FileId>>::decode(in);
  auto batches = Codec<std::vector<std::pair<Time, std::vector<FileId>>>>::decode(in);
  MutexLock lock(mu_);
  seen_ = std::move(seen);
  selected_.clear();
  for (auto& [time, files] : batches) selected_[time] = std::move(files);
  restored_ = t;
}

}  // namespace ember::detail
