namespace Ucarp.Core.Wire;

/// <summary>One classic BPF instruction, laid out as struct sock_filter (linux/filter.h).</summary>
public readonly record struct BpfInstruction(ushort Code, byte Jt, byte Jf, uint K);

/// <summary>
/// A small classic BPF assembler: instructions and named places, the jumps resolved when
/// the program is taken. A conditional jump here only falls through or skips the one
/// instruction after it, and that instruction is an unconditional jump (32-bit offset), so
/// no program is ever out of an 8-bit jump's reach however many sources or vhids it names.
/// </summary>
public sealed class BpfProgram
{
    /// <summary>BPF_MAXINSNS: the kernel refuses a longer program.</summary>
    public const int MaxLength = 4096;

    // The opcodes used (BPF_CLASS | BPF_SIZE | BPF_MODE, or BPF_OP | BPF_SRC).
    public const ushort LdW = 0x20, LdH = 0x28, LdB = 0x30, LdLen = 0x80, LdBInd = 0x50, LdxMsh = 0xb1;
    public const ushort AndK = 0x54, AddK = 0x04, Tax = 0x07, Txa = 0x87;
    public const ushort Ja = 0x05, JeqK = 0x15, JgeK = 0x35, JgeX = 0x3d, RetK = 0x06;

    readonly List<BpfInstruction> _code = [];
    readonly List<(int At, int Label)> _jumps = [];
    readonly List<int> _labels = [];

    public int Length => _code.Count;

    /// <summary>A place not yet placed; <see cref="Place"/> puts it before the next instruction.</summary>
    public int NewLabel()
    {
        _labels.Add(-1);
        return _labels.Count - 1;
    }

    public void Place(int label) => _labels[label] = _code.Count;

    public void Emit(ushort code, uint k = 0) => _code.Add(new BpfInstruction(code, 0, 0, k));

    /// <summary>Goes to <paramref name="label"/> when A equals <paramref name="k"/>, else on.</summary>
    public void IfEqual(uint k, int label)
    {
        _code.Add(new BpfInstruction(JeqK, 0, 1, k));
        Goto(label);
    }

    /// <summary>Goes to <paramref name="label"/> when A differs from <paramref name="k"/>, else on.</summary>
    public void IfNotEqual(uint k, int label)
    {
        _code.Add(new BpfInstruction(JeqK, 1, 0, k));
        Goto(label);
    }

    /// <summary>Goes to <paramref name="label"/> when A is below <paramref name="k"/> (unsigned), else on.</summary>
    public void IfBelow(uint k, int label)
    {
        _code.Add(new BpfInstruction(JgeK, 1, 0, k));
        Goto(label);
    }

    /// <summary>Goes to <paramref name="label"/> when A is below X (unsigned), else on.</summary>
    public void IfBelowX(int label)
    {
        _code.Add(new BpfInstruction(JgeX, 1, 0, 0));
        Goto(label);
    }

    public void Goto(int label)
    {
        _jumps.Add((_code.Count, label));
        _code.Add(new BpfInstruction(Ja, 0, 0, 0));
    }

    /// <summary>The program with every jump resolved (all go forward, as the kernel requires).</summary>
    public BpfInstruction[] ToArray()
    {
        BpfInstruction[] program = [.. _code];
        foreach ((int at, int label) in _jumps)
        {
            int target = _labels[label];
            if (target <= at)
            {
                throw new InvalidOperationException("a BPF jump must go forward");
            }
            program[at] = program[at] with { K = (uint)(target - at - 1) };
        }
        return program;
    }
}
