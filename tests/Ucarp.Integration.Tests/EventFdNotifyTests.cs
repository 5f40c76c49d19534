using Ucarp.Interop;

namespace Ucarp.Integration.Tests;

/// <summary>
/// The wake-up a worker thread writes to the loop's eventfd: never into a descriptor that
/// was closed and whose number has been reused (an etcd client's watch thread outliving a
/// reload that removed its follow group; a reload read finishing as the daemon ends).
/// In process, no namespace.
/// </summary>
public class EventFdNotifyTests
{
    static int NewEventFd() => Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);

    static unsafe ulong Counter(int fd)
    {
        ulong value = 0;
        return Libc.Read(fd, &value, sizeof(ulong)) == sizeof(ulong) ? value : 0;
    }

    [Test]
    public void A_notify_wakes_the_descriptor_it_was_made_for()
    {
        using var wake = new FileDescriptor(NewEventFd());
        wake.Notify();
        wake.Notify();
        Assert.That(Counter(wake.Fd), Is.EqualTo(2));
    }

    [Test]
    public void A_notify_after_close_writes_nothing_into_the_descriptor_that_reused_the_number()
    {
        // A process's descriptors are handed out lowest first: close one, open the next, and
        // it gets the same number (unless another test's thread took it in between; then the
        // assertion below holds anyway, and the number check says so).
        var closed = new FileDescriptor(NewEventFd());
        int number = closed.Fd;
        closed.Dispose();
        int reused = NewEventFd();
        try
        {
            Assert.DoesNotThrow(closed.Notify);
            Assert.That(Counter(reused), Is.Zero, reused == number ? "same number reused" : "number not reused this time");
        }
        finally
        {
            Libc.Close(reused);
        }
    }
}
