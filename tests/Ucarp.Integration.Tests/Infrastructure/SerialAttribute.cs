using NUnit.Framework.Internal;

namespace Ucarp.Integration.Tests.Infrastructure;

/// <summary>
/// A test that measures timing, CPU or memory (a latency bound, a load, a footprint): it
/// must not share the machine with other tests. It is in category "Serial", which run-all.sh
/// runs alone after the concurrent phase, and it never runs beside another test when the
/// assembly is run whole either.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
sealed class SerialAttribute : ParallelizableAttribute
{
    public const string Category = "Serial";

    public SerialAttribute() : base(ParallelScope.None)
    {
    }

    public override void ApplyToTest(Test test)
    {
        base.ApplyToTest(test);
        test.Properties.Add(PropertyNames.Category, Category);
    }
}
