using ReluFast.Moments;
using ReluFast.Moments.Kernels;
using ReluFast.Sampling;

namespace ReluFast.Tests.Moments;

/// <summary>The pass threads' tests run alone: a pass of another test could take the helpers one of them looks for.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PassThreadsCollection
{
    public const string Name = "Pass threads";
}

/// <summary>
/// <see cref="PassThreads"/>: a pass's threads 1 .. P - 1 are helpers kept between passes, running each index once, at the same
/// time, in the caller's execution context, and the pass returns after all of them.
/// </summary>
[Collection(PassThreadsCollection.Name)]
public class PassThreadsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    [Fact]
    public void EachIndexRunsOnceOnThreadsOfItsOwnAtTheSameTimeTheFirstOnTheCaller()
    {
        const int count = 4;
        var threads = new Thread?[count];
        var runs = new int[count];
        // every index waits for all the others: the indices run at the same time or the barrier times out
        using var all = new Barrier(count);
        var met = new bool[count];
        PassThreads.Run(count, i =>
        {
            Interlocked.Increment(ref runs[i]);
            threads[i] = Thread.CurrentThread;
            met[i] = all.SignalAndWait(Patience);
        });
        Assert.All(runs, r => Assert.Equal(1, r));
        Assert.All(met, Assert.True);
        Assert.Same(Thread.CurrentThread, threads[0]);
        Assert.Equal(count, threads.Distinct().Count());
    }

    [Fact]
    public void APassesHelperThreadsAreTheSameInTheNextPass()
    {
        // The old passes started new threads each time: the helper of the second pass was another thread.
        Thread[] First() => HelpersOfAPass(threads: 3);
        Thread[] first = First(), second = First();
        Assert.Equal(2, first.Length);
        Assert.Equal(first.OrderBy(t => t.ManagedThreadId), second.OrderBy(t => t.ManagedThreadId));
        Assert.DoesNotContain(Thread.CurrentThread, first);
    }

    /// <summary>The threads other than the caller's on which a pass of the given threads ran its workers' blocks.</summary>
    private static Thread[] HelpersOfAPass(int threads)
    {
        const int d = 3, n = 4 * 64;
        var x = new double[n * d];
        var y = new double[n];
        var seen = new List<Thread>();
        SamplePass.Run<double, ThreadWorker>(new InMemoryArrays<double>(d, x, y), () => new ThreadWorker(seen),
            new SamplePassOptions(threads) { BlockSize = 64 });
        lock (seen) return seen.Where(t => t != Thread.CurrentThread).Distinct().ToArray();
    }

    private sealed class ThreadWorker(List<Thread> seen) : IMomentWorker<double, ThreadWorker>
    {
        public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
        {
            lock (seen) seen.Add(Thread.CurrentThread);
        }

        public void Merge(ThreadWorker other) { }
    }

    [Fact]
    public void TheCallersExecutionContextReachesTheHelpersAndLeavesThemWithThePass()
    {
        var local = new AsyncLocal<int>();
        var seen = new int[3];
        void Pass()
        {
            using var all = new Barrier(seen.Length); // all three at once: the pass has both of its helpers
            PassThreads.Run(seen.Length, i =>
            {
                seen[i] = local.Value;
                all.SignalAndWait(Patience);
            });
        }

        local.Value = 7;
        Pass();
        Assert.All(seen, v => Assert.Equal(7, v));
        local.Value = 0;
        Pass(); // the same helpers (the last test), which held 7 in the last pass's context
        Assert.All(seen, v => Assert.Equal(0, v));
        using (ExecutionContext.SuppressFlow()) Pass(); // no context to flow: the helpers' own, empty
        Assert.All(seen, v => Assert.Equal(0, v));
        // the forced vector width, the AsyncLocal that matters: a pass's workers take the width of the code that runs it
        var widths = new int[2];
        MomentTestData.WithWidth(64, () => PassThreads.Run(2, i => widths[i] = Simd.WidthBits));
        Assert.All(widths, w => Assert.Equal(64, w));
    }

    [Fact]
    public void AHelpersExceptionReachesTheCallerAfterEveryIndexHasReturned()
    {
        bool slowReturned = false;
        var e = Assert.Throws<InvalidOperationException>(() => PassThreads.Run(3, i =>
        {
            if (i == 1)
            {
                Thread.Sleep(100);
                Volatile.Write(ref slowReturned, true);
            }
            if (i == 2) throw new InvalidOperationException("index 2");
        }));
        Assert.Equal("index 2", e.Message);
        Assert.True(Volatile.Read(ref slowReturned));
        // the helper that threw is still good for the next pass
        var runs = new int[3];
        PassThreads.Run(3, i => Interlocked.Increment(ref runs[i]));
        Assert.All(runs, r => Assert.Equal(1, r));
    }

    [Fact]
    public void IdleHelpersEndAfterTheirLifetimeAndAPassAfterThatStartsNewOnes()
    {
        TimeSpan saved = PassThreads.IdleLifetime;
        try
        {
            PassThreads.IdleLifetime = TimeSpan.FromMilliseconds(50);
            // this pass's helpers (passes of tests beside this one may take them in the meantime, and wait as long after theirs)
            var helpers = new Thread[3];
            PassThreads.Run(helpers.Length, i => helpers[i] = Thread.CurrentThread);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (helpers.Skip(1).Any(t => t.IsAlive) && clock.Elapsed < Patience) Thread.Sleep(10);
            Assert.All(helpers.Skip(1), t => Assert.False(t.IsAlive, $"{t.Name} ({t.ManagedThreadId}) is still running"));
            var runs = new int[3];
            PassThreads.Run(3, i => Interlocked.Increment(ref runs[i]));
            Assert.All(runs, r => Assert.Equal(1, r));
        }
        finally
        {
            PassThreads.IdleLifetime = saved;
        }
    }

    [Fact]
    public void PassesAtTheSameTimeEachGetThreadsOfTheirOwn()
    {
        // four callers, twenty passes each, every pass needing its three indices at once: a helper shared between two passes, or a
        // pass waiting for another's helpers, would leave a barrier waiting
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var callers = Enumerable.Range(0, 4).Select(c => new Thread(() =>
        {
            for (int p = 0; p < 20; p++)
            {
                using var all = new Barrier(3);
                var runs = new int[3];
                PassThreads.Run(3, i =>
                {
                    Interlocked.Increment(ref runs[i]);
                    if (!all.SignalAndWait(Patience)) failures.Add($"caller {c} pass {p}: index {i} waited in vain");
                });
                if (runs.Any(r => r != 1)) failures.Add($"caller {c} pass {p}: runs {string.Join(",", runs)}");
            }
        })).ToArray();
        foreach (Thread t in callers) t.Start();
        foreach (Thread t in callers) Assert.True(t.Join(Patience), "a caller did not finish");
        Assert.Empty(failures);
    }
}
