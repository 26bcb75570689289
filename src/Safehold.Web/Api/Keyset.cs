using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using Microsoft.EntityFrameworkCore;

namespace Safehold.Web.Api;

/// <summary>One page of a list and the cursor of the next (null on the last page).</summary>
public sealed record KeysetPage<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// Keyset paging, the one way every list of the API and the portal pages: rows in the order of an instant and then their
/// id (newest first, or oldest first for a thread), the cursor naming the last row's key, so a page is found by an index
/// seek however deep it is and a row written meanwhile is neither skipped nor repeated.
/// </summary>
public static class Keyset
{
    private static readonly MethodInfo GuidCompareTo = typeof(Guid).GetMethod(nameof(Guid.CompareTo), [typeof(Guid)])!;
    private static readonly ConcurrentDictionary<(Type, string), Delegate> Getters = new();

    /// <summary>The query from after <paramref name="cursor"/> on, in key order: the rows of the pages still to come.</summary>
    public static IOrderedQueryable<T> After<T>(this IQueryable<T> query, Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id,
        bool newestFirst, string? cursor)
    {
        if (Cursor.Decode(cursor) is { } after)
        {
            // The cursor's values go in through a closure object, so EF Core binds them as parameters and caches one plan.
            var key = Expression.Constant(new Key(after.At, after.Id));
            var row = at.Parameters[0];
            var atValue = at.Body;
            var idValue = new Rebind(id.Parameters[0], row).Visit(id.Body);
            var keyAt = Expression.Property(key, nameof(Key.At));
            var keyId = Expression.Property(key, nameof(Key.Id));
            var compared = Expression.Call(idValue, GuidCompareTo, keyId);
            var zero = Expression.Constant(0);
            // The bound on the instant alone is implied by the rest; it is said so the database can seek to the cursor in the
            // index. PostgreSQL reads "(at, id) beyond the key" as a filter of every row before the cursor, or a bitmap of
            // every row after it, so each page cost as much as the pages before it (ListIndexesTests).
            var beyond = newestFirst
                ? Expression.AndAlso(Expression.LessThanOrEqual(atValue, keyAt),
                    Expression.OrElse(Expression.LessThan(atValue, keyAt), Expression.AndAlso(Expression.Equal(atValue, keyAt), Expression.LessThan(compared, zero))))
                : Expression.AndAlso(Expression.GreaterThanOrEqual(atValue, keyAt),
                    Expression.OrElse(Expression.GreaterThan(atValue, keyAt), Expression.AndAlso(Expression.Equal(atValue, keyAt), Expression.GreaterThan(compared, zero))));
            query = query.Where(Expression.Lambda<Func<T, bool>>(beyond, row));
        }
        return newestFirst ? query.OrderByDescending(at).ThenByDescending(id) : query.OrderBy(at).ThenBy(id);
    }

    /// <summary>The page after <paramref name="cursor"/> of at most <paramref name="limit"/> rows (1 to 100, default 20).</summary>
    public static async Task<KeysetPage<T>> PageAsync<T>(this IQueryable<T> query, Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id,
        bool newestFirst, string? cursor, int? limit, CancellationToken ct)
    {
        var take = Cursor.Limit(limit);
        return Cut(await query.After(at, id, newestFirst, cursor).Take(take + 1).ToListAsync(ct), take, at, id);
    }

    /// <summary>
    /// The page's ids first (from the index that covers the filter), then the page loaded by key through
    /// <paramref name="load"/> in one query: loading a filtered, sorted page with its collections made EF Core repeat the
    /// page query once per collection.
    /// </summary>
    public static async Task<KeysetPage<T>> PageByIdsAsync<T>(this IQueryable<T> query, Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id,
        bool newestFirst, string? cursor, int? limit, Func<List<Guid>, IQueryable<T>> load, CancellationToken ct) =>
        await query.PageByIdsAsync(at, id, newestFirst, cursor, limit, (ids, ct) => load(ids).ToListAsync(ct), ct);

    /// <summary>As the other overload, with the page's rows read by <paramref name="load"/> in whatever order.</summary>
    public static Task<KeysetPage<T>> PageByIdsAsync<T>(this IQueryable<T> query, Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id,
        bool newestFirst, string? cursor, int? limit, Func<List<Guid>, CancellationToken, Task<List<T>>> load, CancellationToken ct) =>
        PageByIdsAsync(UnionOf([query], at, id, newestFirst), at, id, cursor, limit, load, ct);

    /// <summary>
    /// As the other overloads, with the page's ids read by <paramref name="pageIds"/>: at most the number it is given of the
    /// ids after the cursor's key (from the first when the cursor is null), in key order, as <see cref="After{T}"/> reads
    /// them. For a list read so often that building its query each time shows (a compiled query).
    /// </summary>
    public static async Task<KeysetPage<T>> PageByIdsAsync<T>(Func<int, string?, CancellationToken, Task<List<Guid>>> pageIds, Expression<Func<T, DateTimeOffset>> at,
        Expression<Func<T, Guid>> id, string? cursor, int? limit, Func<List<Guid>, CancellationToken, Task<List<T>>> load, CancellationToken ct)
    {
        var take = Cursor.Limit(limit);
        var ids = await pageIds(take + 1, cursor, ct);
        return Cut(await LoadInOrder(ids, load, Getter(id), ct), take, at, id);
    }

    /// <summary>
    /// The page ids of a list that is the union of <paramref name="parts"/> (an arbiter's disputes: those under review, those
    /// they decided, those whose appeal they hear), for the overload of <c>PageByIdsAsync</c> that is given its page's ids.
    /// Each part is read after the cursor and cut to the page in the database, so each can seek in an index of its own where
    /// one query of their OR would read every match and sort them; the parts' keys are then merged in the same key order,
    /// a row in two parts counted once. One part is read as it is.
    /// </summary>
    public static Func<int, string?, CancellationToken, Task<List<Guid>>> UnionOf<T>(IReadOnlyList<IQueryable<T>> parts,
        Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id, bool newestFirst)
    {
        if (parts.Count == 1) return (take, cursor, ct) => parts[0].After(at, id, newestFirst, cursor).Take(take).Select(id).ToListAsync(ct);
        var row = at.Parameters[0];
        var keyOf = Expression.Lambda<Func<T, Key>>(
            Expression.New(typeof(Key).GetConstructor([typeof(DateTimeOffset), typeof(Guid)])!, at.Body, new Rebind(id.Parameters[0], row).Visit(id.Body)), row);
        return async (take, cursor, ct) =>
        {
            var keys = new HashSet<Key>();
            foreach (var part in parts) keys.UnionWith(await part.After(at, id, newestFirst, cursor).Take(take).Select(keyOf).ToListAsync(ct));
            // The databases' order of ids is the order of their hexadecimal text (PostgreSQL compares a uuid's bytes, SQLite the
            // uppercase text EF Core stores), and so is Guid's comparison.
            var ordered = newestFirst ? keys.OrderByDescending(k => k.At).ThenByDescending(k => k.Id) : keys.OrderBy(k => k.At).ThenBy(k => k.Id);
            return ordered.Take(take).Select(k => k.Id).ToList();
        };
    }

    /// <summary>
    /// The page of <paramref name="keys"/> (an instant and an id, read from another table than the rows: a seller's journal
    /// lines for their entries) after <paramref name="cursor"/>, and its rows loaded by id through <paramref name="load"/>.
    /// The cursor is the last key's, so the pages follow the keys' order whatever the rows hold.
    /// </summary>
    public static async Task<KeysetPage<T>> PageByKeysAsync<TKey, T>(IQueryable<TKey> keys, Expression<Func<TKey, DateTimeOffset>> at,
        Expression<Func<TKey, Guid>> id, bool newestFirst, string? cursor, int? limit, Func<List<Guid>, CancellationToken, Task<List<T>>> load,
        Func<T, Guid> idOf, CancellationToken ct)
    {
        var take = Cursor.Limit(limit);
        var page = Cut(await keys.After(at, id, newestFirst, cursor).Take(take + 1).ToListAsync(ct), take, at, id);
        return new KeysetPage<T>(await LoadInOrder(page.Items.Select(Getter(id)).ToList(), load, idOf, ct), page.NextCursor);
    }

    /// <summary>The rows of <paramref name="ids"/> in their order; one gone between the two reads is left out (it cannot, but never trust that).</summary>
    private static async Task<List<T>> LoadInOrder<T>(List<Guid> ids, Func<List<Guid>, CancellationToken, Task<List<T>>> load, Func<T, Guid> idOf,
        CancellationToken ct)
    {
        var loaded = (await load(ids, ct)).ToDictionary(idOf);
        return ids.Where(loaded.ContainsKey).Select(k => loaded[k]).ToList();
    }

    /// <summary>Cuts <paramref name="rows"/> (read with one row more than a page) to a page, with the cursor of the next when there is one.</summary>
    public static KeysetPage<T> Cut<T>(List<T> rows, int take, Expression<Func<T, DateTimeOffset>> at, Expression<Func<T, Guid>> id)
    {
        if (rows.Count <= take) return new KeysetPage<T>(rows, null);
        var last = rows[take - 1];
        return new KeysetPage<T>(rows.GetRange(0, take), Cursor.Encode(Getter(at)(last), Getter(id)(last)));
    }

    /// <summary>A key's compiled getter, made once per entity type and member rather than once per request.</summary>
    private static Func<T, TValue> Getter<T, TValue>(Expression<Func<T, TValue>> member) =>
        member.Body is MemberExpression { Member.Name: var name }
            ? (Func<T, TValue>)Getters.GetOrAdd((typeof(T), name), _ => member.Compile())
            : member.Compile();

    private sealed record Key(DateTimeOffset At, Guid Id);

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
