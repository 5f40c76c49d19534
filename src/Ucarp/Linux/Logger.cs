using System.Globalization;
using Ucarp.Core.Cli;
using Ucarp.Core.Logging;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>
/// ucarp's log.c: each line to syslog (unless -f none) and, until the daemon has
/// detached, to the console with a local timestamp, warnings and errors on stderr.
/// Unlike ucarp, every console line is flushed at once, so piped output is never lost.
/// The writing itself happens on <see cref="LogWriter"/>'s thread: the caller (the event
/// loop) only formats and queues, so a stalled syslog or console never delays an advert.
/// </summary>
internal sealed class Logger : ICliHost
{
    /// <summary>How long the end of the process waits for queued lines to be written.</summary>
    public static readonly TimeSpan ExitFlush = TimeSpan.FromSeconds(2);

    readonly Stream _stdout = Console.OpenStandardOutput();
    readonly Stream _stderr = Console.OpenStandardError();
    readonly LogWriter _writer;
    const int MaxLine = 4095;
    byte[]? _ident;

    public Logger() => _writer = new LogWriter(OpenLogNow, dropped => Write(LogLevel.Warning, Messages.LogLinesDropped(dropped)));

    public bool DebugEnabled { get; set; }

    /// <summary>False once detached (-B): ucarp then logs to syslog only.</summary>
    public bool ConsoleEnabled { get; set; } = true;

    public bool SyslogEnabled { get; private set; } = true;

    /// <summary>Nothing at all is logged while false (the detached child re-validating its command line).</summary>
    public bool Muted { get; set; }

    public void DisableSyslog() => SyslogEnabled = false;

    /// <summary>openlog("ucarp", LOG_PID, facility). Lines before it go out with glibc's defaults, as in ucarp.</summary>
    public void OpenSyslog(int facility) => _writer.Enqueue(new LogWriter.Entry(0, null, null, null, facility));

    /// <summary>Waits (at most <paramref name="timeout"/>) until every queued line is written: before the process ends.</summary>
    public bool Flush(TimeSpan timeout) => _writer.Flush(timeout);

    unsafe void OpenLogNow(int facility)
    {
        // glibc keeps the ident pointer: it must live as long as the process.
        _ident ??= GC.AllocateArray<byte>(6, pinned: true);
        "ucarp\0"u8.CopyTo(_ident);
        fixed (byte* ident = _ident)
        {
            Libc.OpenLog(ident, Libc.LOG_PID, facility);
        }
    }

    public void Write(LogLevel level, string message)
    {
        if (Muted || (level == LogLevel.Debug && !DebugEnabled))
        {
            return;
        }
        // log.c formats into char line[4096]: longer messages are cut at 4095 bytes
        // (one char per byte here), before the level prefix is added.
        if (message.Length > MaxLine)
        {
            message = message[..MaxLine];
        }
        string line = LogLevelText.Prefix(level) + message;
        Stream? console = null;
        byte[]? text = null;
        if (ConsoleEnabled)
        {
            // Stamped now, not when the writer gets to it.
            DateTime now = DateTime.Now;
            string stamp = now.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
                + "." + (now.Ticks / 10 % 1_000_000).ToString("D6", CultureInfo.InvariantCulture) + ": ";
            console = LogLevelText.GoesToStderr(level) ? _stderr : _stdout;
            text = CStrings.Bytes(stamp + line + "\n");
        }
        if (SyslogEnabled || console is not null)
        {
            _writer.Enqueue(new LogWriter.Entry((int)level, SyslogEnabled ? line : null, console, text));
        }
    }

    public void WriteStdout(string text) => Emit(_stdout, text);

    public void WriteStderr(string text) => Emit(_stderr, text);

    /// <summary>
    /// The -B daemon reads no password file: its parent read them (relative paths,
    /// /dev/stdin and &lt;(...) included) and hands them over on the daemon's stdin, one a line:
    /// CARP's password, then the etcd password when there is one.
    /// </summary>
    public bool PasswordFromStdin { get; set; }

    string[]? _handedOver;

    public PassfileRead ReadPassfile(string path) =>
        PasswordFromStdin ? new PassfileRead(PassfileStatus.Line, HandedOver(0) + "\n") : Passfile.ReadFirstLine(path);

    /// <summary>Line <paramref name="index"/> of what the parent handed over ("" when missing).</summary>
    public string HandedOver(int index)
    {
        // Read once, whole (two lines of at most 511 bytes each): a line-by-line read could take the next line's bytes.
        _handedOver ??= Passfile.ReadAll(0, 2048).Split('\n');
        return index < _handedOver.Length ? _handedOver[index] : "";
    }

    void Emit(Stream stream, string text) => _writer.Enqueue(new LogWriter.Entry(0, null, stream, CStrings.Bytes(text)));
}
