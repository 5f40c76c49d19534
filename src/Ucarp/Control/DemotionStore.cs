using Ucarp.Core.Control;
using Ucarp.Core.Logging;
using Ucarp.Interop;
using Ucarp.Linux;
using Ucarp.Monitoring;

namespace Ucarp.Control;

/// <summary>
/// --demotion-file: ucarpctl's demotions, kept across restarts. Read once at start, before
/// any group runs (so a demoted group never takes its address, not even for a moment);
/// written after every demote and promote on a thread of its own, replaced atomically and
/// synced to disk, so a hung disk never delays an advert or ucarpctl's answer, and a power
/// cut leaves the old list or the new one. The file is opened without following a link,
/// must be a regular file owned by root or the daemon's user and writable by no one else,
/// and is read up to <see cref="Demotions.MaxBytes"/>.
/// </summary>
internal sealed class DemotionStore(string path, ILog log)
{
    readonly DocumentWriter _writer = new();
    readonly WriteFailures _failures = new(log, LogLevel.Error, Messages.DemotionFileUnwritten, Messages.DemotionFileWrittenAgain);
    Action? _last;

    public string Path => path;

    /// <summary>What the file holds; none when there is no file yet. Problems are logged, one line each.</summary>
    public unsafe Demotions Read()
    {
        int fd;
        fixed (byte* p = CStrings.Z(path))
        {
            fd = Libc.Open(p, Libc.O_RDONLY | Libc.O_NOFOLLOW | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            if (Libc.LastErrno != Libc.ENOENT)
            {
                log.Write(LogLevel.Error, Messages.DemotionFileUnread(path, SysError.Last().Text));
            }
            return Demotions.None;
        }
        using var file = new FileDescriptor(fd);
        StatX st;
        byte empty = 0;
        if (Libc.Statx(fd, &empty, Libc.AT_EMPTY_PATH, Libc.STATX_TYPE | Libc.STATX_MODE | Libc.STATX_UID, &st) != 0)
        {
            log.Write(LogLevel.Error, Messages.DemotionFileUnread(path, SysError.Last("statx").Perror));
            return Demotions.None;
        }
        uint euid = Libc.GetEuid();
        string? unsafeWhy = (st.Mode & Libc.S_IFMT) != Libc.S_IFREG ? "not a regular file"
            : st.Uid != 0 && st.Uid != euid ? "owned by another user"
            : (st.Mode & 0b000_010_010) != 0 ? "writable by its group or others"
            : null;
        if (unsafeWhy is not null)
        {
            log.Write(LogLevel.Error, Messages.DemotionFileUnread(path, unsafeWhy));
            return Demotions.None;
        }
        string text = Passfile.ReadAll(fd, Demotions.MaxBytes + 1);
        if (text.Length > Demotions.MaxBytes)
        {
            log.Write(LogLevel.Error, Messages.DemotionFileUnread(path, $"larger than {Demotions.MaxBytes} bytes"));
            return Demotions.None;
        }
        Demotions read = Demotions.Parse(text, out List<string> problems);
        foreach (string problem in problems)
        {
            log.Write(LogLevel.Warning, path + ":" + problem);
        }
        return read;
    }

    /// <summary>Hands the new list to the writer's thread; returns at once. A failure is logged once, and once more when it is over.</summary>
    public void Save(Demotions demotions)
    {
        string content = demotions.Format();
        _writer.Post(_last = () =>
        {
            // 0600 whatever the umask: a file its group could write would be refused at the next start.
            bool ok = AtomicFile.TryReplace(path, content, out SysError error, durable: true, mode: 0b110_000_000);
            _failures.Report(path, ok ? null : error.Text);
        });
    }

    /// <summary>The last write, waited for at most <paramref name="timeout"/> (the daemon's end).</summary>
    public void Finish(TimeSpan timeout)
    {
        if (_last is Action write)
        {
            _writer.Finish(write, timeout);   // the latest list again: one still waiting is not lost
        }
    }
}
