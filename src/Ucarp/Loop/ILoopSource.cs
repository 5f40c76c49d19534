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
