namespace Ucarp.Interop;

/// <summary>
/// Why an operation of the daemon failed: the errno the system set, or, where there is
/// none, a few words (an OpenSSL or resolver message, a name too long for the kernel).
/// Every fallible operation gives one the same way, <c>bool TryX(..., out SysError error)</c>;
/// its caller picks the line of the message catalogue, so the words users grep for stay
/// in one place and an operation serves callers that word its failure differently.
/// </summary>
/// <param name="Errno">The errno; 0 when the failure is not the system's (then <paramref name="Detail"/> says what it is).</param>
/// <param name="Call">
/// The step that failed, for the lines that name it as libpcap does ("bind: No such device"):
/// one operation makes several calls and its caller's line says which.
/// </param>
internal readonly record struct SysError(int Errno, string? Detail = null, string? Call = null)
{
    /// <summary>No failure: what a successful TryX sets.</summary>
    public static SysError None => default;

    /// <summary>
    /// The errno the last system call on this thread left. Taken at once, before anything
    /// else (closing a descriptor included) makes a call that would replace it.
    /// </summary>
    public static SysError Last(string? call = null) => new(Libc.LastErrno, Call: call);

    /// <summary>
    /// strerror(errno), the text ucarp prints after its colons; <see cref="Detail"/> when there
    /// is no errno (strerror(0) when there is neither, as a bare errno of 0 always printed).
    /// </summary>
    public string Text => Errno == 0 && Detail is not null ? Detail : Libc.StrError(Errno);

    /// <summary>perror(3)'s form, "call: text", when the failed step is named; else <see cref="Text"/>.</summary>
    public string Perror => Call is null ? Text : Call + ": " + Text;
}
