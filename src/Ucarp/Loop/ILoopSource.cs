namespace Ucarp.Loop;

/// <summary>
/// One input of the event loop: a socket, the signals, child processes, etcd, the control
/// socket, a timer. It brings its descriptors and its next deadline, and is told after
/// each wait what is ready; the loop itself knows no protocol.
/// </summary>
internal interface ILoopSource
{
    /// <summary>Adds the descriptors worth waking for (maybe none), noting their indexes.</summary>
    void AddTo(PollSet set, long now);

    /// <summary>When <see cref="Dispatch"/> must run even if nothing it polls is ready; null: only when ready.</summary>
    long? NextDeadline(long now);

    /// <summary>
    /// After every wait, in the order the sources were added: reads what is ready (by the
    /// indexes noted in <see cref="AddTo"/>; none before the first wait) and does what is due.
    /// </summary>
    void Dispatch(PollSet set, long now);
}

/// <summary>
/// A source that tells the group clock (Daemon.GroupClock) which groups it ran. When any
/// other source wakes (a descriptor of its is ready, or its deadline has come), the loop
/// tells <see cref="EventLoop.OthersWoke"/> first, and the clock looks at every group again.
/// </summary>
internal interface ITouchesItsGroups
{
}
