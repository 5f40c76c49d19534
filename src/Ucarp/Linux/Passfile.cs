using Ucarp.Core.Cli;
using Ucarp.Interop;

namespace Ucarp.Linux;

/// <summary>fopen(path, "r") then fgets(buf, 512): the first line, at most 511 bytes, or why not.</summary>
internal static class Passfile
{
    public static unsafe PassfileRead ReadFirstLine(string path)
    {
        byte[] cpath = CStrings.Z(path);
        int fd;
        fixed (byte* p = cpath)
        {
            fd = Libc.Open(p, Libc.O_RDONLY | Libc.O_CLOEXEC);
        }
        if (fd < 0)
        {
            return new PassfileRead(PassfileStatus.OpenFailed, SysError.Last().Text);
        }
        using var handle = new FileDescriptor(fd);
        PassfileRead read = ReadFirstLine(fd);
        if (read.Status != PassfileStatus.Line)
        {
            return read;
        }
        return read with { ReadableByOthers = ReadableByOthers(path) };
    }

    /// <summary>The file's mode lets its group or others read it (a password or a private key should not).</summary>
    public static bool ReadableByOthers(string path)
    {
        try
        {
            return (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The first line from an open descriptor (the password the -B parent hands its daemon).</summary>
    public static unsafe PassfileRead ReadFirstLine(int fd)
    {
        byte[] buffer = new byte[511];
        int used = 0;
        while (used < buffer.Length)
        {
            nint n;
            fixed (byte* b = &buffer[used])
            {
                n = Libc.Read(fd, b, (nuint)(buffer.Length - used));
            }
            if (n < 0)
            {
                SysError error = SysError.Last();
                if (error.Errno == Libc.EINTR)
                {
                    continue;
                }
                if (used == 0)
                {
                    return new PassfileRead(PassfileStatus.ReadFailed, error.Text);
                }
                break;
            }
            if (n == 0)
            {
                break;
            }
            int newline = Array.IndexOf(buffer, (byte)'\n', used, (int)n);
            used += (int)n;
            if (newline >= 0)
            {
                used = newline + 1;
                break;
            }
        }
        if (used == 0)
        {
            return new PassfileRead(PassfileStatus.EndOfFile, "");
        }
        return new PassfileRead(PassfileStatus.Line, CStrings.FromBytes(buffer.AsSpan(0, used)));
    }

    /// <summary>Everything on a descriptor up to end of file, at most <paramref name="max"/> bytes ("" on an error).</summary>
    public static string ReadAll(int fd, int max)
    {
        DescriptorRead.TryReadAll(fd, max, out byte[] data, out _);
        return CStrings.FromBytes(data);
    }
}
