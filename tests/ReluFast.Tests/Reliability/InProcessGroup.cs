using ReluFast.Interop.Mpi;

namespace ReluFast.Tests.Reliability;

/// <summary>
/// K simulated processes in one process (one thread each) for testing distributed learning without MPI:
/// AllreduceSum adds the members' values in rank order and gives every member the same bits.
/// </summary>
internal sealed class InProcessGroup
{
    private readonly Barrier _barrier;
    private readonly double[][] _slots;

    public InProcessGroup(int size)
    {
        _barrier = new Barrier(size);
        _slots = new double[size][];
        Members = Enumerable.Range(0, size).Select(r => (IMomentReducer)new Member(this, r)).ToArray();
    }

    public IReadOnlyList<IMomentReducer> Members { get; }

    /// <summary>Runs <paramref name="body"/> once per member on its own thread and returns the results by rank.</summary>
    public TResult[] Run<TResult>(Func<IMomentReducer, TResult> body)
    {
        var results = new TResult[Members.Count];
        var errors = new Exception?[Members.Count];
        var threads = Members.Select((m, r) => new Thread(() =>
        {
            try { results[r] = body(m); }
            catch (Exception e) { errors[r] = e; _barrier.RemoveParticipant(); }
        })).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
        var first = errors.FirstOrDefault(e => e is not null);
        if (first is not null) throw new AggregateException(errors.Where(e => e is not null)!);
        return results;
    }

    private sealed class Member(InProcessGroup group, int rank) : IMomentReducer
    {
        public int Rank => rank;

        public int Size => group._slots.Length;

        public void AllreduceSum(Span<double> values)
        {
            group._slots[rank] = values.ToArray();
            group._barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++)
            {
                double sum = 0;
                foreach (var slot in group._slots) sum += slot[i];
                values[i] = sum;
            }
            group._barrier.SignalAndWait();
        }
    }
}
