using System.Buffers.Binary;

namespace Ucarp.Core.Tests.Wire;

/// <summary>A minimal reader for classic little-endian pcap files, enough for the captured vectors.</summary>
static class Pcap
{
    public static List<byte[]> ReadFrames(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (BinaryPrimitives.ReadUInt32LittleEndian(file) != 0xa1b2c3d4)
        {
            throw new InvalidDataException($"{path}: not a little-endian pcap file");
        }
        var frames = new List<byte[]>();
        int at = 24;
        while (at + 16 <= file.Length)
        {
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at + 8));
            frames.Add(file.AsSpan(at + 16, captured).ToArray());
            at += 16 + captured;
        }
        return frames;
    }

    public static string VectorPath(string name) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", name);
}
