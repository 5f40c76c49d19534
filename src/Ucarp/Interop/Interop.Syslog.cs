using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // syslog.h
    internal const int LOG_PID = 0x01;

    [LibraryImport(Name, EntryPoint = "openlog")]
    internal static unsafe partial void OpenLog(byte* ident, int option, int facility);

    /// <summary>syslog(priority, "%s", message): never pass user text as the format.</summary>
    [LibraryImport(Name, EntryPoint = "syslog")]
    internal static unsafe partial void Syslog(int priority, byte* format, byte* message);

    [LibraryImport(Name, EntryPoint = "closelog")]
    internal static partial void CloseLog();
}
