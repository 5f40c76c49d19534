using System.Runtime.InteropServices;

namespace Ucarp.Interop;

internal static partial class Libc
{
    // sys/mman.h
    internal const int PROT_READ = 1;
    internal const int PROT_WRITE = 2;
    internal const int MAP_SHARED = 1;

    /// <summary>mmap(2); MAP_FAILED ((void*)-1) on failure, with errno.</summary>
    [LibraryImport(Name, EntryPoint = "mmap", SetLastError = true)]
    internal static unsafe partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport(Name, EntryPoint = "munmap", SetLastError = true)]
    internal static unsafe partial int Munmap(void* address, nuint length);

    internal static unsafe bool IsMapFailed(void* address) => address == (void*)-1;
}
