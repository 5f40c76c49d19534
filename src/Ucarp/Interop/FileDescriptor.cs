using Microsoft.Win32.SafeHandles;

namespace Ucarp.Interop;

/// <summary>A file descriptor owned by the process; closed exactly once.</summary>
internal sealed class FileDescriptor : SafeHandleZeroOrMinusOneIsInvalid
{
    public FileDescriptor(int fd) : base(ownsHandle: true) => SetHandle(fd);

    public int Fd => (int)handle;

    /// <summary>
    /// Adds one to an eventfd's counter (wakes the loop polling it), unless the descriptor
    /// was closed: a worker or signal thread that outlives its owner must not write 8
    /// bytes into whatever descriptor has since reused the number. The reference taken
    /// holds off the close until the write is done.
    /// </summary>
    public unsafe void Notify()
    {
        bool added = false;
        try
        {
            DangerousAddRef(ref added);
            ulong one = 1;
            Libc.Write((int)handle, &one, sizeof(ulong));
        }
        catch (ObjectDisposedException)
        {
            // Closed: nobody polls it any more.
        }
        finally
        {
            if (added)
            {
                DangerousRelease();
            }
        }
    }

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
