using SharpFuzz;
using Ucarp.Fuzz;

// One target per run, named by the first argument. SharpFuzz runs it in AFL++'s fork
// server; an exception that escapes the target is a crash, a run that never ends a hang.
switch (args.FirstOrDefault())
{
    case "reader":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.Reader(ReadAll(stream)));
        break;
    case "vrrp":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.Vrrp(ReadAll(stream)));
        break;
    case "cli":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.CommandLine(ReadAll(stream)));
        break;
    case "http":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.HttpResponse(ReadAll(stream)));
        break;
    case "json":
        Fuzzer.OutOfProcess.Run(stream => FuzzTargets.Json(ReadAll(stream)));
        break;
    default:
        Console.Error.WriteLine("usage: Ucarp.Fuzz reader|vrrp|cli|http|json");
        return 2;
}
return 0;

static byte[] ReadAll(Stream stream)
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    return memory.ToArray();
}
