using System.Runtime.InteropServices;

namespace Ucarp.Interop;

/// <summary>
/// libc, bound directly at link time (DirectPInvoke in Ucarp.csproj): the binary needs
/// no dlopen of "libc.so", which only exists where libc6-dev is installed.
/// </summary>
internal static partial class Libc
{
    internal const string Name = "libc";

    /// <summary>strerror(errno), the text ucarp prints after its colons.</summary>
    internal static string StrError(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    internal static int LastErrno => Marshal.GetLastPInvokeError();

    // fcntl.h
    internal const int O_CLOEXEC = 0x80000;

    internal const int O_CREAT = 0x40;
    internal const int O_EXCL = 0x80;
    internal const int O_NOFOLLOW = 0x20000;
    internal const int EEXIST = 17;
    internal const int EINVAL = 22;

    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static unsafe partial int Open(byte* path, int flags);

    /// <summary>open(path, flags, mode): the mode only matters with O_CREAT.</summary>
    [LibraryImport(Name, EntryPoint = "open", SetLastError = true)]
    internal static unsafe partial int Open(byte* path, int flags, uint mode);

    // stdio.h
    [LibraryImport(Name, EntryPoint = "rename", SetLastError = true)]
    internal static unsafe partial int Rename(byte* from, byte* to);

    // unistd.h
    [LibraryImport(Name, EntryPoint = "posix_fadvise")]
    internal static partial int PosixFadvise(int fd, long offset, long length, int advice);

    // malloc.h: the C heap's free memory at its top and in its arenas given back to the kernel.
    [LibraryImport(Name, EntryPoint = "malloc_trim")]
    internal static partial int MallocTrim(nuint pad);

    [LibraryImport(Name, EntryPoint = "madvise", SetLastError = true)]
    internal static unsafe partial int MAdvise(void* address, nuint length, int advice);

    [LibraryImport(Name, EntryPoint = "unlink", SetLastError = true)]
    internal static unsafe partial int Unlink(byte* path);

    [LibraryImport(Name, EntryPoint = "close", SetLastError = true)]
    internal static partial int Close(int fd);

    [LibraryImport(Name, EntryPoint = "fsync", SetLastError = true)]
    internal static partial int FSync(int fd);

    [LibraryImport(Name, EntryPoint = "read", SetLastError = true)]
    internal static unsafe partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport(Name, EntryPoint = "write", SetLastError = true)]
    internal static unsafe partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport(Name, EntryPoint = "pipe2", SetLastError = true)]
    internal static unsafe partial int Pipe2(int* fds, int flags);

    [LibraryImport(Name, EntryPoint = "dup2", SetLastError = true)]
    internal static partial int Dup2(int oldFd, int newFd);

    [LibraryImport(Name, EntryPoint = "getrandom", SetLastError = true)]
    internal static unsafe partial nint GetRandom(void* buffer, nuint length, uint flags);

    [LibraryImport(Name, EntryPoint = "getpid")]
    internal static partial int GetPid();

    // sys/eventfd.h: wakes the event loop from signal handlers running on other threads.
    internal const int EFD_CLOEXEC = 0x80000;
    internal const int EFD_NONBLOCK = 0x800;

    [LibraryImport(Name, EntryPoint = "eventfd", SetLastError = true)]
    internal static partial int EventFd(uint initial, int flags);
}
