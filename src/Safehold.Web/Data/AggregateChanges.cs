using System.Collections;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata;

namespace Safehold.Web.Data;

/// <summary>
/// What the domain changed in an aggregate loaded without tracking: the values of its root and of the children in its
/// collection navigations are read when it is loaded (<see cref="Take"/>), and compared with theirs after the domain has
/// worked on it, giving the rows <see cref="PreparedSaver"/> writes. A root or child whose values differ is updated where
/// its key and concurrency tokens still hold the values read; a child gone from its collection is deleted; a new one is
/// inserted. The sweeper uses it for its batches: EF Core's tracking and change detection cost more than the rest of
/// firing a timer, and allocate most of what the sweep's garbage collections then collect.
/// </summary>
/// <remarks>
/// It sees what EF Core's change tracker sees for an aggregate whose children hang only off its root: changed values
/// (compared with each property's value comparer), and children added to or removed from a collection. It refuses what
/// it does not cover: shadow properties, reference navigations, children with navigations of their own, a changed key,
/// complex properties, and a new child whose foreign key does not name its root: a model change that brings one of them
/// to an order makes every prepared batch fail, which the sweeper's tests (on the real model) show at once. Collections
/// that were not loaded (a timeline) hold only what the domain added to them, which is inserted. The values it reads
/// are in the order of the type's properties in the model (<see cref="IReadOnlyEntityType.GetProperties"/>).
/// </remarks>
public sealed class AggregateChanges
{
    private readonly IEntityType _type;
    private readonly object _root;
    private readonly object?[]? _values; // null: a new aggregate, all inserted
    private readonly List<(INavigation Navigation, List<(object Entity, object?[] Values)> Children)> _collections;

    private AggregateChanges(IEntityType type, object root, object?[]? values,
        List<(INavigation, List<(object, object?[])>)> collections)
    {
        _type = type;
        _root = root;
        _values = values;
        _collections = collections;
    }

    /// <summary>The root's entity type.</summary>
    public IEntityType Type => _type;

    /// <summary>The root's value of <paramref name="property"/> as it was read (<see cref="Take"/>).</summary>
    public object? Original(IProperty property) =>
        (_values ?? throw new InvalidOperationException($"A new {_type.ShortName()} was not read: it has no values as read."))[TypeReader.Of(_type).IndexOf(property)];

    /// <summary>
    /// A new aggregate, not tracked: <paramref name="root"/> and the children in its collections are all inserted (each
    /// child's foreign key must name its root). A request's new order is written so (<c>PlaceOrder</c>): adding it to the
    /// change tracker and detecting its changes cost more than writing it.
    /// </summary>
    public static AggregateChanges New(IModel model, object root) =>
        new(model.FindEntityType(root.GetType()) ?? throw new InvalidOperationException($"{root.GetType().Name} is not an entity type."),
            root, null, []);

    /// <summary>Reads the values of <paramref name="root"/> and its children, as loaded.</summary>
    public static AggregateChanges Take(IModel model, object root)
    {
        var type = model.FindEntityType(root.GetType())
            ?? throw new InvalidOperationException($"{root.GetType().Name} is not an entity type.");
        var collections = new List<(INavigation, List<(object, object?[])>)>();
        foreach (var navigation in TypeReader.Of(type).Collections)
        {
            var children = new List<(object, object?[])>();
            foreach (var child in Children(navigation, root)) children.Add((child, Read(navigation.TargetEntityType, child)));
            collections.Add((navigation, children));
        }
        return new AggregateChanges(type, root, Read(type, root), collections);
    }

    /// <summary>The rows to write: what changed since <see cref="Take"/>.</summary>
    internal IEnumerable<PreparedSaver.Row> Rows()
    {
        if (_values is null)
        {
            yield return new PreparedSaver.Row(_type, EntityState.Added, null, _root, null, []);
            foreach (var navigation in TypeReader.Of(_type).Collections)
                foreach (var child in Children(navigation, _root))
                {
                    CheckOwnedByRoot(navigation, child);
                    yield return new PreparedSaver.Row(navigation.TargetEntityType, EntityState.Added, null, child, null, []);
                }
            yield break;
        }
        if (Changed(_type, _values, _root) is { Count: > 0 } changed)
            yield return new PreparedSaver.Row(_type, EntityState.Modified, null, _root, _values, changed);
        foreach (var (navigation, before) in _collections)
        {
            var target = navigation.TargetEntityType;
            var now = Children(navigation, _root).ToList();
            var still = new HashSet<object>(now, ReferenceEqualityComparer.Instance);
            var was = new HashSet<object>(ReferenceEqualityComparer.Instance);
            foreach (var (child, values) in before)
            {
                was.Add(child);
                if (!still.Contains(child))
                    yield return new PreparedSaver.Row(target, EntityState.Deleted, null, child, values, []);
                else if (Changed(target, values, child) is { Count: > 0 } childChanged)
                    yield return new PreparedSaver.Row(target, EntityState.Modified, null, child, values, childChanged);
            }
            foreach (var child in now.Where(c => !was.Contains(c)))
            {
                CheckOwnedByRoot(navigation, child);
                yield return new PreparedSaver.Row(target, EntityState.Added, null, child, null, []);
            }
        }
    }

    private void CheckOwnedByRoot(INavigation navigation, object child)
    {
        var foreignKey = navigation.ForeignKey;
        for (var i = 0; i < foreignKey.Properties.Count; i++)
        {
            var principal = foreignKey.PrincipalKey.Properties[i];
            var own = TypeReader.Of(foreignKey.DeclaringEntityType).Getter(foreignKey.Properties[i]).GetClrValueUsingContainingEntity(child);
            if (!Equals(own, TypeReader.Of(_type).Getter(principal).GetClrValueUsingContainingEntity(_root)))
                throw new NotSupportedException($"A new {navigation.TargetEntityType.ShortName()} does not name its {_type.ShortName()} in its foreign key.");
        }
    }

    private static IEnumerable<object> Children(INavigation navigation, object root) =>
        navigation.GetGetter().GetClrValueUsingContainingEntity(root) is IEnumerable items ? items.Cast<object>() : [];

    private static object?[] Read(IEntityType type, object entity)
    {
        var shape = TypeReader.Of(type);
        var values = new object?[shape.Properties.Length];
        // A snapshot, as EF Core takes one: a copy of a mutable value (an array), the value itself otherwise.
        for (var i = 0; i < values.Length; i++) values[i] = shape.Comparers[i].Snapshot(shape.Getters[i].GetClrValueUsingContainingEntity(entity));
        return values;
    }

    private static List<IProperty> Changed(IEntityType type, object?[] before, object entity)
    {
        var shape = TypeReader.Of(type);
        List<IProperty>? changed = null;
        for (var i = 0; i < before.Length; i++)
        {
            var property = shape.Properties[i];
            if (shape.Comparers[i].Equals(before[i], shape.Getters[i].GetClrValueUsingContainingEntity(entity))) continue;
            if (property.IsKey())
                throw new NotSupportedException($"The key {type.ShortName()}.{property.Name} changed: a changed key cannot be written as an update.");
            (changed ??= []).Add(property);
        }
        return changed ?? [];
    }

    /// <summary>A type's properties (in the model's order), getters, comparers and collections.</summary>
    private sealed class TypeReader
    {
        public IProperty[] Properties { get; }
        public IClrPropertyGetter[] Getters { get; }
        public ValueComparer[] Comparers { get; }
        public INavigation[] Collections { get; }

        public IClrPropertyGetter Getter(IProperty property) => Getters[IndexOf(property)];

        public int IndexOf(IProperty property) => Array.IndexOf(Properties, property) is >= 0 and var i ? i
            : throw new ArgumentException($"{property.Name} is not a property of {property.DeclaringType.ShortName()}.", nameof(property));

        private TypeReader(IEntityType type)
        {
            Properties = type.GetProperties().ToArray();
            if (type.GetComplexProperties().Any())
                throw new NotSupportedException($"{type.ShortName()} has complex properties: an untracked aggregate does not compare them.");
            if (Properties.FirstOrDefault(p => p.IsShadowProperty()) is { } shadow)
                throw new NotSupportedException($"{type.ShortName()}.{shadow.Name} is a shadow property: an untracked aggregate cannot read it.");
            Getters = Properties.Select(p => p.GetGetter()).ToArray();
            Comparers = Properties.Select(p => p.GetValueComparer()).ToArray();
            var navigations = type.GetNavigations().ToList();
            if (navigations.Any(n => !n.IsCollection) || type.GetSkipNavigations().Any())
                throw new NotSupportedException($"{type.ShortName()} has navigations an untracked aggregate does not follow.");
            Collections = navigations.ToArray();
            if (Collections.FirstOrDefault(n => n.TargetEntityType.GetNavigations().Any() || n.TargetEntityType.GetSkipNavigations().Any()) is { } deep)
                throw new NotSupportedException($"{deep.TargetEntityType.ShortName()} has navigations of its own: an untracked aggregate follows only its root's.");
        }

        /// <summary>Worked out once per type, and kept with the model (so it goes when the model does).</summary>
        public static TypeReader Of(IEntityType type) =>
            type.GetOrAddRuntimeAnnotationValue("Safehold:AggregateChanges", t => new TypeReader(t!), type);
    }
}
