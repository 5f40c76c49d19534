using System.Globalization;
using System.Text;

namespace Ucarp.Core.Control;

public enum RequestScan { Incomplete, Complete, TooLong }

/// <summary>
/// The bytes on the control socket. ucarpctl sends one line: the command's words separated
/// by spaces, at most <see cref="MaxRequest"/> bytes with its '\n'. The daemon answers the
/// exit status as decimal digits and '\n', then the body (UTF-8), then closes the connection.
/// </summary>
public static class ControlFraming
{
    public const int MaxRequest = 1024;
    const int MaxWords = 8;
    /// <summary>What ucarpctl accepts: far above a 255-group JSON status (about 60 KB).</summary>
    public const int MaxReply = 4 << 20;

    public static byte[] EncodeRequest(ControlCommand command) =>
        Encoding.ASCII.GetBytes(string.Join(' ', command.Words()) + "\n");

    /// <summary>
    /// Looks for a whole request in what has arrived so far (<paramref name="ended"/>: the peer
    /// closed its side, so a last line without '\n' counts). Complete: <paramref name="line"/>
    /// holds the line without its '\n'.
    /// </summary>
    public static RequestScan ScanRequest(ReadOnlySpan<byte> received, bool ended, out ReadOnlySpan<byte> line)
    {
        int newline = received.IndexOf((byte)'\n');
        int end = newline >= 0 ? newline : ended ? received.Length : -1;
        line = default;
        if (end < 0)
        {
            return received.Length >= MaxRequest ? RequestScan.TooLong : RequestScan.Incomplete;
        }
        if (end >= MaxRequest)
        {
            return RequestScan.TooLong;
        }
        line = received[..end];
        return RequestScan.Complete;
    }

    /// <summary>The command a request line holds, or null and why (printable ASCII words only).</summary>
    public static ControlCommand? ParseRequest(ReadOnlySpan<byte> line, out string error)
    {
        if (line.Length > MaxRequest)
        {
            error = "request too long";
            return null;
        }
        foreach (byte b in line)
        {
            if (b is < 0x20 or > 0x7e)
            {
                error = "request holds a byte that is not printable ASCII";
                return null;
            }
        }
        string[] words = Encoding.ASCII.GetString(line).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxWords)
        {
            error = "too many words in the request";
            return null;
        }
        return ControlCommand.Parse(words, out error);
    }

    public static byte[] EncodeReply(int exitCode, string body)
    {
        string status = Math.Clamp(exitCode, 0, 255).ToString(CultureInfo.InvariantCulture);
        int length = status.Length + 1 + Encoding.UTF8.GetByteCount(body);
        byte[] reply = new byte[length];
        int at = Encoding.ASCII.GetBytes(status, reply);
        reply[at++] = (byte)'\n';
        Encoding.UTF8.GetBytes(body, reply.AsSpan(at));
        return reply;
    }

    /// <summary>
    /// Splits a whole reply (everything up to the daemon's close) into exit status and body;
    /// false when the first line is not a status from 0 to 255.
    /// </summary>
    public static bool TryDecodeReply(ReadOnlySpan<byte> reply, out int exitCode, out ReadOnlySpan<byte> body)
    {
        exitCode = 0;
        body = default;
        int newline = reply.IndexOf((byte)'\n');
        if (newline is < 1 or > 3)
        {
            return false;
        }
        foreach (byte b in reply[..newline])
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }
            exitCode = exitCode * 10 + (b - '0');
        }
        if (exitCode > 255)
        {
            return false;
        }
        body = reply[(newline + 1)..];
        return true;
    }
}
