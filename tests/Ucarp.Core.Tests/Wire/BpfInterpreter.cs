using System.Buffers.Binary;
using Ucarp.Core.Wire;

namespace Ucarp.Core.Tests.Wire;

/// <summary>
/// Runs a classic BPF program over a frame as the kernel's sk_run_filter does, for the
/// opcodes the daemon's filters use: a load past the frame's end drops it (returns 0),
/// and any other opcode fails the test.
/// </summary>
static class BpfInterpreter
{
    public static uint Run(BpfInstruction[] program, ReadOnlySpan<byte> frame)
    {
        uint a = 0, x = 0;
        for (int pc = 0; pc < program.Length; pc++)
        {
            BpfInstruction i = program[pc];
            switch (i.Code)
            {
                case BpfProgram.LdW:
                    if (!Load(frame, i.K, 4, out a)) { return 0; }
                    break;
                case BpfProgram.LdH:
                    if (!Load(frame, i.K, 2, out a)) { return 0; }
                    break;
                case BpfProgram.LdB:
                    if (!Load(frame, i.K, 1, out a)) { return 0; }
                    break;
                case BpfProgram.LdBInd:
                    if (!Load(frame, x + i.K, 1, out a)) { return 0; }
                    break;
                case BpfProgram.LdLen:
                    a = (uint)frame.Length;
                    break;
                case BpfProgram.LdxMsh:
                    if (!Load(frame, i.K, 1, out uint b)) { return 0; }
                    x = (b & 0x0f) << 2;
                    break;
                case BpfProgram.AndK: a &= i.K; break;
                case BpfProgram.AddK: a += i.K; break;
                case BpfProgram.Tax: x = a; break;
                case BpfProgram.Txa: a = x; break;
                case BpfProgram.Ja: pc += (int)i.K; break;
                case BpfProgram.JeqK: pc += a == i.K ? i.Jt : i.Jf; break;
                case BpfProgram.JgeK: pc += a >= i.K ? i.Jt : i.Jf; break;
                case BpfProgram.JgeX: pc += a >= x ? i.Jt : i.Jf; break;
                case BpfProgram.RetK: return i.K;
                default: throw new AssertionException($"opcode 0x{i.Code:x2} at {pc} is not one the filters use");
            }
        }
        throw new AssertionException("the program ran off its end");
    }

    static bool Load(ReadOnlySpan<byte> frame, uint at, int size, out uint value)
    {
        value = 0;
        if (at > (uint)frame.Length || frame.Length - at < size)
        {
            return false;
        }
        ReadOnlySpan<byte> s = frame.Slice((int)at, size);
        value = size switch { 4 => BinaryPrimitives.ReadUInt32BigEndian(s), 2 => BinaryPrimitives.ReadUInt16BigEndian(s), _ => s[0] };
        return true;
    }

    public static bool Passes(BpfInstruction[] program, ReadOnlySpan<byte> frame) => Run(program, frame) != 0;
}
