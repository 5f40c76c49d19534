using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // signal.h
    internal const nint SIG_DFL = 0;
    internal const nint SIG_IGN = 1;

    /// <summary>
    /// sigaction(signo, NULL, old): the current disposition. Only the first field of struct
    /// sigaction (the handler) is read; the buffer is larger than the struct on every ABI.
    /// </summary>
    [LibraryImport(Name, EntryPoint = "sigaction", SetLastError = true)]
    internal static unsafe partial int SigAction(int signo, void* action, void* old);

    [LibraryImport(Name, EntryPoint = "signal")]
    internal static partial nint Signal(int signo, nint handler);
}
