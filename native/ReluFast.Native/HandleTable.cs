using System.Collections.Concurrent;

namespace ReluFast.Native;

/// <summary>
/// Maps the opaque handles given to C to managed objects. A handle is a number, never a managed address: it
/// is unique for the life of the process (never reused), a lookup validates it, and a destroyed or forged
/// handle yields <see cref="Status.InvalidHandle"/> instead of touching memory. The low bits tag the kind of
/// object so that a network handle passed as a learner is named as such.
/// </summary>
internal static class HandleTable
{
    private static readonly ConcurrentDictionary<nint, object> s_objects = new();
    private static long s_next;

    private const int TagBits = 4;

    public static nint Add(object value, HandleKind kind)
    {
        long id = Interlocked.Increment(ref s_next);
        nint handle = (nint)((id << TagBits) | (long)kind);
        s_objects[handle] = value;
        return handle;
    }

    public static T Get<T>(nint handle, HandleKind kind, string parameter) where T : class
    {
        if (handle == 0) throw new NativeException(Status.NullPointer, $"{parameter} is NULL.");
        if (s_objects.TryGetValue(handle, out object? value) && value is T typed) return typed;
        HandleKind actual = (HandleKind)(handle & ((1 << TagBits) - 1));
        if (s_objects.ContainsKey(handle))
            throw new NativeException(Status.InvalidHandle, $"{parameter} is a {Describe(actual)} handle, not a {Describe(kind)} handle.");
        throw new NativeException(Status.InvalidHandle,
            $"{parameter} (0x{handle:x}) is not a live {Describe(kind)} handle: it was destroyed already or never created by ReluFast.");
    }

    public static bool Remove(nint handle) => s_objects.TryRemove(handle, out _);

    private static string Describe(HandleKind kind) => kind switch
    {
        HandleKind.Learner => "learner",
        HandleKind.Network => "network",
        _ => "unknown",
    };
}

internal enum HandleKind
{
    Learner = 1,
    Network = 2,
}
