<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\NameTakenException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\AsyncCalls;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Calls;
use SkypeBus\Internal\CallTarget;
use SkypeBus\Internal\Connection;
use SkypeBus\Internal\Credentials;
use SkypeBus\Internal\EventLoop;
use SkypeBus\Internal\HeaderConstants;
use SkypeBus\Internal\PropertyTarget;
use SkypeBus\Internal\Server;
use SkypeBus\Internal\Signals;
use SkypeBus\Internal\Tracer;

/**
 * A connection to a D-Bus bus (or to a peer), over libskypebus.
 *
 *     $bus = Bus::session();
 *     [$id] = $bus->call('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'GetId');
 *     $dbus = $bus->proxy('org.freedesktop.DBus', '/org/freedesktop/DBus');
 *     $owner = $dbus->GetNameOwner('org.freedesktop.DBus');
 *
 * Signals and serving (one event loop, nothing runs behind PHP's back):
 *
 *     $bus->subscribe(['interface' => 'org.example.Player', 'member' => 'Changed']);
 *     foreach ($bus->signals() as $signal) { ... }
 *     $bus->requestName('org.example.Service');
 *     $bus->export('/org/example/Object', $handler, $introspectionXml);
 *     while (!$stop) { $bus->serve(1.0); }
 *
 * The C connection is freed by close() or when the object goes away. The library drives the
 * connection in the background, so it stays healthy while PHP is busy elsewhere (it answers
 * Peer.Ping, Introspect and property reads of exported objects, and queues signals and calls).
 * A Bus cannot be cloned or serialized. After fork(), open a new Bus in the child.
 *
 * Subscriptions, exported objects and owned names live on a private connection: the first
 * subscribe(), export(), requestName(), setEventOptions() or eventStream() on a Bus from
 * connect()/session()/system() moves that Bus to a connection of its own to the same address
 * (with a new unique name) for everything from then on; the other handles of the shared
 * connection are not affected.
 */
final class Bus implements BusInterface
{
    /** The bus driver's name and interface. */
    private const DRIVER = 'org.freedesktop.DBus';
    /** The bus driver's object path. */
    private const DRIVER_PATH = '/org/freedesktop/DBus';

    /** RequestName flag: let another connection that asks with NAME_REPLACE_EXISTING take the name. */
    public const NAME_ALLOW_REPLACEMENT = HeaderConstants::NAME_ALLOW_REPLACEMENT;
    /** RequestName flag: take the name from its owner if that owner allowed replacement. */
    public const NAME_REPLACE_EXISTING = HeaderConstants::NAME_REPLACE_EXISTING;
    /** RequestName flag: do not wait in the queue when the name is owned (the default here). */
    public const NAME_DO_NOT_QUEUE = HeaderConstants::NAME_DO_NOT_QUEUE;
    /**
     * requestName() flag of this package (not sent as such): wait in the name's queue when
     * another connection owns it, instead of being refused with NameTakenException.
     */
    public const NAME_QUEUE = 0x10000;

    /** requestName() answer: we are now the primary owner. */
    public const NAME_PRIMARY_OWNER = HeaderConstants::NAME_PRIMARY_OWNER;
    /** requestName() answer: the name is owned; we wait in its queue (with NAME_QUEUE only). */
    public const NAME_IN_QUEUE = HeaderConstants::NAME_IN_QUEUE;
    /** The D-Bus answer "the name is owned, not queued": requestName() throws NameTakenException instead. */
    public const NAME_EXISTS = HeaderConstants::NAME_EXISTS;
    /** requestName() answer: we already own the name. */
    public const NAME_ALREADY_OWNER = HeaderConstants::NAME_ALREADY_OWNER;

    /** releaseName() answer: we owned or queued for the name and no longer do. */
    public const NAME_RELEASED = HeaderConstants::NAME_RELEASED;
    /** releaseName() answer: nobody owns the name. */
    public const NAME_NON_EXISTENT = HeaderConstants::NAME_NON_EXISTENT;
    /** releaseName() answer: someone else owns the name and we are not in its queue. */
    public const NAME_NOT_OWNER = HeaderConstants::NAME_NOT_OWNER;

    /** @var Connection the C connection, shared with the classes below */
    private $connection;

    /** @var Calls method calls, properties, introspection, callMany() */
    private $calls;

    /** @var Signals subscriptions, emitting, signals kept for nextSignal() */
    private $signals;

    /** @var Server exported objects, owned names, answering calls */
    private $server;

    /** @var EventLoop serve(), nextSignal(), process() and the event settings */
    private $loop;

    /** @var AsyncCalls callAsync() and the calls not settled yet */
    private $async;

    private function __construct(Connection $connection)
    {
        $this->connection = $connection;
        $this->calls = new Calls($connection);
        $this->signals = new Signals($connection);
        $this->server = new Server($connection, new Credentials($this->calls, $this->signals));
        $this->async = new AsyncCalls($connection);
        $this->loop = new EventLoop($connection, $this->signals, $this->server, $this->async);
    }

    /** Connects to the session bus (DBUS_SESSION_BUS_ADDRESS). */
    public static function session(): self
    {
        return self::connect('session');
    }

    /** Connects to the system bus (DBUS_SYSTEM_BUS_ADDRESS, else /run/dbus/system_bus_socket). */
    public static function system(): self
    {
        return self::connect('system');
    }

    /**
     * Connects to a bus by its D-Bus address ("unix:path=/run/user/1000/bus",
     * "unix:abstract=...", "tcp:host=...,port=..." where the server accepts ANONYMOUS), or to
     * "session" or "system".
     *
     * The connection is shared: every Bus of one address in a process uses one connection (one
     * unique name), and close() releases only this handle. Use connectPrivate() for a
     * connection of your own.
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connect(string $address): self
    {
        return self::open($address, false);
    }

    /**
     * Connects like connect(), but to a connection of this Bus alone, with its own unique name:
     * for owning names, for a timeout of its own, or to keep other code's traffic apart.
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connectPrivate(string $address): self
    {
        return self::open($address, true);
    }

    /**
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    private static function open(string $address, bool $private): self
    {
        return new self(Connection::open(Library::native(), $address, $private));
    }

    /**
     * Calls a method and returns the list of the reply's values (empty for none).
     *
     * With no signature the library finds one (introspection, then inference); give one to be
     * exact. Typed values (SkypeBus\Type\*) fix the type of a single value. $options: 'timeout'
     * (seconds, default 25), 'variants' => 'typed' (variants come back as Variant objects
     * instead of their values), 'noReply' => true (do not wait; returns []), 'noAutoStart' =>
     * true (the bus must not start the destination through service activation: a name nobody
     * owns gives ServiceUnknownException), 'allowInteractiveAuthorization' => true (the service
     * may ask the user for authorization, through polkit, before it answers: give a timeout long
     * enough; without it such a service answers InteractiveAuthorizationRequiredException).
     *
     * @param string $destination a bus name; '' for none (peer-to-peer connections)
     * @param list<mixed> $args
     * @param array<string, mixed> $options
     * @return list<mixed>
     * @throws DBusException|InvalidArgumentException
     */
    public function call(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args = [],
        ?string $signature = null,
        array $options = []
    ): array {
        // The hot path: the target is looked up here (made once per target), the rest is
        // Calls::call().
        $key = $destination . "\0" . $path . "\0" . ($interface ?? '') . "\0" . $method . "\0" . ($signature ?? "\1");
        return $this->calls->call(
            CallTarget::$cache[$key] ?? CallTarget::of($destination, $path, $interface, $method, $signature),
            $args,
            $options === [] ? (CallOptions::$defaults ?? CallOptions::defaults()) : CallOptions::fromArray($options)
        );
    }

    /**
     * Starts a call and returns at once: the same parameters as call(), and a PendingCall whose
     * getResult() gives what call() would have returned (or throws what it would have thrown).
     *
     * The call is sent now (typing its arguments may first read the peer's introspection data,
     * which happens in the background too); its reply is read while PHP does anything else.
     * The call settles (and its onResolve() callbacks run) when process(), serve() or
     * nextSignal() takes its "call_finished" event, which makes eventStream() readable, or
     * when the PendingCall is asked (isReady(), wait(), getResult()). So one event loop serves
     * calls, receives signals and completes many calls at once; a slow peer delays only its own
     * calls.
     *
     * At most 1024 calls (the event option maxAsyncCalls) may be running per connection; one
     * more throws an InvalidArgumentException (name net.skypebus.Error.LimitExceeded) at once,
     * sending nothing: settle some first (process()). Moves a shared Bus to a private
     * connection (see the class comment), whose events are this Bus's alone.
     *
     * @param list<mixed> $args
     * @param array<string, mixed> $options as for call()
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function callAsync(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        array $args = [],
        ?string $signature = null,
        array $options = []
    ): PendingCall {
        return $this->async->start(
            CallTarget::of($destination, $path, $interface, $method, $signature),
            $args,
            CallOptions::fromArray($options)
        );
    }

    /**
     * A method made ready to be called many times: $prepared(...$args) is
     * call($destination, $path, $interface, $method, $args, $signature, $options), with the
     * target, the request's head, the signature's types and the options made once here
     * instead of looked up on every call.
     *
     * @param string $destination a bus name; '' for none (peer-to-peer connections)
     * @param array<string, mixed> $options as for call()
     * @throws InvalidArgumentException for options call() would refuse
     */
    public function prepare(
        string $destination,
        string $path,
        ?string $interface,
        string $method,
        ?string $signature = null,
        array $options = []
    ): PreparedCall {
        return new PreparedCall(
            $this->calls,
            new CallTarget($destination, $path, $interface, $method, $signature),
            $options === [] ? (CallOptions::$defaults ?? CallOptions::defaults()) : CallOptions::fromArray($options)
        );
    }

    /**
     * An object of a peer, whose methods are PHP methods and whose properties are PHP
     * properties: $proxy->Notify(...), $proxy->Volume, $proxy->Volume = 0.5.
     *
     * @param string|null $interface the interface of the methods and properties; null finds each
     *                               member's interface in the introspection data
     * @param array<string, mixed> $options call options for every method call of the proxy
     *                                      ('timeout', 'variants', 'noReply', 'noAutoStart',
     *                                      'allowInteractiveAuthorization'), 'signatures':
     *                                      method name => the signature of its arguments, for
     *                                      peers whose introspection data is missing or wrong,
     *                                      and 'cacheProperties' => true: properties read once,
     *                                      then kept current by PropertiesChanged (see Proxy)
     */
    public function proxy(string $destination, string $path, ?string $interface = null, array $options = []): Proxy
    {
        $signatures = Proxy::signatures($options['signatures'] ?? []);
        $cache = Proxy::cacheOption($options['cacheProperties'] ?? false);
        unset($options['signatures'], $options['cacheProperties']);
        return new Proxy($this, $this->calls, $destination, $path, $interface, CallOptions::fromArray($options), $signatures, $cache);
    }

    /**
     * Sets the timeout of the calls that do not give the 'timeout' option (initially 25 s). On
     * a shared connection (connect()) this is the timeout of every Bus of that address.
     *
     * @param float $seconds greater than 0
     */
    public function setTimeout(float $seconds): void
    {
        $this->connection->setTimeout((int) CallOptions::fromArray(['timeout' => $seconds])->timeoutMs);
    }

    /** The address this Bus was opened with: "session", "system", or a D-Bus address. */
    public function getAddress(): string
    {
        return $this->connection->address();
    }

    /** The unique name of this connection on the bus, such as ":1.42". */
    public function getUniqueName(): string
    {
        return $this->connection->native->uniqueName($this->connection->handle());
    }

    /**
     * A property's value (org.freedesktop.DBus.Properties.Get).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return mixed
     */
    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = [])
    {
        return $this->calls->getProperty(new PropertyTarget($destination, $path, $interface, $name), CallOptions::fromArray($options));
    }

    /**
     * Sets a property (org.freedesktop.DBus.Properties.Set). The value travels in a variant of
     * the property's type: $signature if given, else the type the peer's introspection data
     * declares, else the type the value infers to. So 7 set on a "u" property is sent as "u".
     *
     * @param mixed $value
     * @param array<string, mixed> $options 'timeout' as for call()
     */
    public function setProperty(
        string $destination,
        string $path,
        string $interface,
        string $name,
        $value,
        ?string $signature = null,
        array $options = []
    ): void {
        $this->calls->setProperty(new PropertyTarget($destination, $path, $interface, $name), $value, $signature, CallOptions::fromArray($options));
    }

    /**
     * All properties of an interface as name => value (org.freedesktop.DBus.Properties.GetAll).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return array<string, mixed>
     */
    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array
    {
        return $this->calls->getAllProperties(new PropertyTarget($destination, $path, $interface, null), CallOptions::fromArray($options));
    }

    /**
     * An object's introspection data: its interfaces with their methods (in and out
     * signatures, argument names), properties (type, access) and signals, and its child nodes,
     * as the arrays of docs/introspection.md:
     *
     *     ['destination' => ..., 'path' => ..., 'interfaces' => [['name' => ..., 'methods' => [
     *         ['name' => 'Notify', 'in_signature' => 'susssasa{sv}i', 'out_signature' => 'u', 'in' => [...], 'out' => [...]],
     *     ], 'properties' => [['name' => ..., 'type' => ..., 'access' => ...]], 'signals' => [...]]], 'nodes' => [...]]
     *
     * @param array<string, mixed> $options 'timeout' as for call()
     * @return array<string, mixed>
     */
    public function introspect(string $destination, string $path, array $options = []): array
    {
        return $this->calls->introspect($destination, $path, Calls::introspectTimeout($options));
    }

    /**
     * Calls many methods at once, pipelined (up to 64 in flight, or $options['maxInFlight']
     * from 1 to 1024), each with its own timeout, and returns one result per request in the
     * order and with the keys of $requests: the list of the reply's values (as call() returns
     * it), or the exception call() would have thrown for that request, as an object. One failed
     * request never makes callMany() throw.
     *
     *     $results = $bus->callMany([
     *         ['destination' => 'org.freedesktop.DBus', 'path' => '/org/freedesktop/DBus',
     *          'interface' => 'org.freedesktop.DBus', 'method' => 'GetNameOwner', 'args' => ['org.example']],
     *         ['org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.Peer', 'Ping'],
     *     ]);
     *     foreach ($results as $result) {
     *         if ($result instanceof \Throwable) { ... } else { [$owner] = $result; }
     *     }
     *
     * A request is an array with the keys 'destination' (default ''), 'path', 'interface'
     * (default null), 'method', 'args' (default []), 'signature' (default null), 'options'
     * (call()'s options, default []), or a list of call()'s arguments in call()'s order. A
     * request that is not such an array throws InvalidArgumentException before anything is
     * sent; arguments or options that cannot be sent give that request's exception.
     *
     * @param array<int|string, array<int|string, mixed>> $requests
     * @param array<string, mixed> $options 'maxInFlight' => 1..1024
     * @return array<int|string, list<mixed>|SkypeBusException>
     * @throws InvalidArgumentException|Exception\DisconnectedException
     */
    public function callMany(array $requests, array $options = []): array
    {
        return $this->calls->callMany($requests, $options);
    }

    /**
     * True when someone owns the bus name $name now (org.freedesktop.DBus.NameHasOwner). A name
     * that only service activation could start has no owner yet.
     *
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function nameHasOwner(string $name): bool
    {
        [$owned] = $this->call(self::DRIVER, self::DRIVER_PATH, self::DRIVER, 'NameHasOwner', [$name], 's');
        return (bool) $owned;
    }

    /**
     * The unique name (":1.42") of the owner of the bus name $name now, or null when nobody owns
     * it (org.freedesktop.DBus.GetNameOwner; it starts nothing through activation).
     *
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function getNameOwner(string $name): ?string
    {
        try {
            [$owner] = $this->call(self::DRIVER, self::DRIVER_PATH, self::DRIVER, 'GetNameOwner', [$name], 's');
        } catch (Exception\ServiceUnknownException $e) {
            if ($e->getErrorName() === 'org.freedesktop.DBus.Error.NameHasNoOwner') {
                return null;
            }
            throw $e;
        }
        return (string) $owner;
    }

    /**
     * Watches who owns the bus name $name (a well-known or a unique name): an event each time
     * it gains an owner, changes owner or loses its owner, from the bus's NameOwnerChanged.
     *
     * With a $handler, process() (and serve(), nextSignal()) runs $handler(NameOwnerChange
     * $change) for each event; without one, each event is a Signal for nextSignal() and
     * signals() (member NameOwnerChanged, arguments [name, old owner, new owner], '' for none).
     * The watch lasts until $subscription->unsubscribe() or close().
     *
     *     $bus->watchName('org.example.Service', function (NameOwnerChange $change): void {
     *         echo $change->getName(), ': ', $change->getOldOwner() ?? '-', ' -> ', $change->getNewOwner() ?? '-', "\n";
     *     });
     *     while (true) { $bus->serve(1.0); }
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param (callable(NameOwnerChange): void)|null $handler
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function watchName(string $name, ?callable $handler = null): Subscription
    {
        $match = [
            'sender' => self::DRIVER,
            'path' => self::DRIVER_PATH,
            'interface' => self::DRIVER,
            'member' => 'NameOwnerChanged',
            'arg0' => $name,
        ];
        if ($handler === null) {
            return $this->subscribe($match);
        }
        return $this->listen($match, static function (Signal $signal) use ($handler): void {
            $handler(NameOwnerChange::fromSignal($signal));
        });
    }

    /**
     * The objects $destination publishes under its org.freedesktop.DBus.ObjectManager at $path:
     * an ObjectTree whose getObjects() is GetManagedObjects (path => interface => property =>
     * value), kept current by InterfacesAdded, InterfacesRemoved and PropertiesChanged whenever
     * this Bus processes events (process(), serve(), nextSignal()).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @throws Exception\DBusException|InvalidArgumentException
     */
    public function objectManager(string $destination, string $path): ObjectTree
    {
        return new ObjectTree($this, $destination, $path);
    }

    /**
     * @internal Proxy::on(), watchName(): a subscription whose signals go to $listener (when
     *           events are processed) instead of nextSignal()
     * @param array<string, string> $match
     * @param callable(Signal): void $listener
     */
    public function listen(array $match, callable $listener): Subscription
    {
        return new Subscription($this, $this->signals->listen($match, $listener), $match);
    }

    /**
     * Subscribes to the signals that match $match; take them with nextSignal() or signals().
     * The subscription lasts until Subscription::unsubscribe() or close(): dropping the
     * returned object does not end it.
     *
     *     $bus->subscribe(['sender' => 'org.freedesktop.DBus', 'member' => 'NameOwnerChanged',
     *                      'arg0' => 'org.example.Service']);
     *
     * Match keys (all optional, string values; [] matches every signal): 'sender' (a unique or
     * well-known name; a well-known name matches its current owner), 'path' or
     * 'path_namespace', 'interface', 'member', 'destination', 'arg0'..'arg63' (string argument
     * equals), 'arg0path'..'arg63path', 'arg0namespace'. Also 'variants' => 'typed' to get the
     * signals' variants as Variant objects.
     *
     * The first subscription moves a shared Bus to a private connection (see the class
     * comment).
     *
     * @param array<string, string> $match
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function subscribe(array $match): Subscription
    {
        return $this->signals->subscribe($this, $match);
    }

    /**
     * Ends a subscription (the same as $subscription->unsubscribe()). Idempotent.
     */
    public function unsubscribe(Subscription $subscription): void
    {
        $subscription->unsubscribe();
    }

    /**
     * @internal Subscription::unsubscribe()
     */
    public function endSubscription(int $id): void
    {
        $this->signals->unsubscribe($id);
    }

    /**
     * The next signal of our subscriptions, waiting up to $timeout seconds (0: only one already
     * there); null when none came in time, or when interrupt() or close() ended the wait.
     *
     * While it waits, method calls to our exported objects are answered (their handlers run
     * here), and name events are noted (ownedNames()). Waits run in slices of 50 ms, between
     * which PHP signal handlers (ext-pcntl) run.
     *
     * @throws SkypeBusException|InvalidArgumentException
     */
    public function nextSignal(float $timeout = 0.0): ?Signal
    {
        return $this->loop->nextSignal($timeout);
    }

    /**
     * The signals of our subscriptions, as they come: ends when none comes for $timeout
     * seconds (null: never), or when interrupt() or close() is called (for example from a
     * SIGTERM handler). Calls to exported objects are answered while it waits, as in
     * nextSignal().
     *
     *     foreach ($bus->signals() as $signal) {
     *         echo $signal->getMember(), ' ', json_encode($signal->getArgs()), "\n";
     *     }
     *
     * @return \Generator<int, Signal, mixed, void>
     */
    public function signals(?float $timeout = null): \Generator
    {
        // A generator of its own, so that the Bus lives as long as the iteration.
        yield from $this->loop->signals($timeout);
    }

    /**
     * Answers the calls to our exported objects for up to about $timeout seconds, and returns
     * how many it answered. Returns early when interrupt() or close() is called (by a handler,
     * or a PHP signal handler: waits run in slices of 50 ms, between which ext-pcntl's
     * handlers run). Signals that arrive meanwhile are kept for nextSignal() (at most the
     * event queue limit, 4096 by default; the oldest are dropped and counted).
     *
     *     pcntl_signal(SIGTERM, function () use (&$stop) { $stop = true; });
     *     while (!$stop) {
     *         $bus->serve(1.0);
     *     }
     *
     * @throws SkypeBusException|InvalidArgumentException
     */
    public function serve(float $timeout): int
    {
        return $this->loop->serve($timeout);
    }

    /**
     * Dispatches whatever is ready, without waiting for more, and returns how many calls it
     * answered: calls to our exported objects are answered (their handlers run here), finished
     * asynchronous calls settle (callAsync(); their onResolve() callbacks run), signals go to
     * their handlers (Proxy::on(), watchName() with a handler), to the ObjectTrees and to the
     * proxies that cache properties; other signals are kept for nextSignal(), as in serve().
     * Never blocks: call it from an event loop when eventStream() is readable
     * (SkypeBus\EventLoop\BusWatcher does).
     *
     * @throws SkypeBusException
     */
    public function process(): int
    {
        return $this->loop->process();
    }

    /**
     * Makes the wait in progress (serve(), nextSignal(), signals()) return at its next slice,
     * or, outside a wait, the next one return at once. For PHP signal handlers and for
     * exported methods that stop a worker.
     */
    public function interrupt(): void
    {
        $this->loop->interrupt();
    }

    /**
     * Emits a signal from $path: to everyone, or to $destination only. The arguments are typed
     * by $signature, else inferred from the values (typed values fix a value's type).
     *
     *     $bus->emit('/org/example/Player', 'org.example.Player', 'Changed', ['volume', 0.5]);
     *
     * @param list<mixed> $args
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function emit(
        string $path,
        string $interface,
        string $member,
        array $args = [],
        ?string $signature = null,
        ?string $destination = null
    ): void {
        $this->signals->emit($path, $interface, $member, $args, $signature, $destination);
    }

    /**
     * Asks the bus for a well-known name and returns its answer: NAME_PRIMARY_OWNER,
     * NAME_ALREADY_OWNER, or NAME_IN_QUEUE when asked to queue.
     *
     * When another connection owns the name, the request is refused with NameTakenException
     * (which names the owner) and nothing is queued, so that a second worker cannot believe it
     * serves while the first gets every call. To wait in the name's queue instead, ask for it:
     *
     *     $bus->requestName('org.example.Service');                      // refused if owned
     *     $bus->requestName('org.example.Service', ['queue' => true]);   // may be NAME_IN_QUEUE
     *
     * $flags: an options array ('queue', 'allowReplacement', 'replaceExisting', each a bool), or
     * an OR of NAME_QUEUE, NAME_ALLOW_REPLACEMENT, NAME_REPLACE_EXISTING (NAME_DO_NOT_QUEUE is
     * the default). Getting a queued name later, or losing it, is seen in ownedNames() once
     * events are taken (serve(), nextSignal(), process()).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param int|array<string, bool> $flags
     * @throws NameTakenException|InvalidArgumentException|SkypeBusException (AccessDeniedException when the bus' policy refuses)
     */
    public function requestName(string $name, $flags = []): int
    {
        return $this->server->requestName($name, $flags);
    }

    /**
     * Gives a well-known name back to the bus and returns its answer: NAME_RELEASED,
     * NAME_NON_EXISTENT or NAME_NOT_OWNER.
     *
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function releaseName(string $name): int
    {
        return $this->server->releaseName($name);
    }

    /**
     * The well-known names this Bus owns, as far as the bus has told it: names requestName()
     * got at once, and names acquired or lost later, seen once events are taken.
     *
     * @return list<string>
     */
    public function ownedNames(): array
    {
        return $this->server->ownedNames();
    }

    /**
     * Exports an object at $path whose methods are those $introspectionXml declares (a <node>
     * document with one or more <interface>s), answered by the methods of $handler with
     * exactly the same names (PHP's own lookup ignores case, D-Bus does not; a handler with
     * __call() answers the declared methods it has no method for). Nothing else of $handler is
     * callable. The calls are answered while serve(), process(), nextSignal() or signals() run.
     *
     * - The handler's method gets the call's arguments as PHP values (as call() returns
     *   values); what it returns is typed by the declared out arguments: nothing for none, the
     *   return value for one, a list of the values for several.
     * - A DBusException thrown by the handler is answered as that D-Bus error (its
     *   getErrorName() and message); any other exception as org.freedesktop.DBus.Error.Failed
     *   with its message.
     * - The library answers by itself, also while PHP is busy: Introspect (here and on parent
     *   paths), Peer.Ping, Properties.Get/GetAll from values set with
     *   ExportedObject::setProperty() or the 'properties' option, and the standard errors
     *   for unknown methods, interfaces, arguments and paths.
     * - A remote Properties.Set of a writable property is stored, unless the handler
     *   implements PropertyWriteHandler and refuses it.
     *
     * $options: 'variants' => 'typed' (the handler gets variants as Variant objects),
     * 'properties' => ['<interface>' => ['<property>' => value]] (initial values),
     * 'objectManager' => true (the object is an org.freedesktop.DBus.ObjectManager: the library
     * answers GetManagedObjects with the objects exported below its path, their interfaces and
     * readable property values, and announces every object exported or unexported below it with
     * InterfacesAdded and InterfacesRemoved; $handler may then be any object and the XML
     * '<node/>').
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function export(string $path, object $handler, string $introspectionXml, array $options = []): ExportedObject
    {
        return $this->server->export($this, $path, $handler, $introspectionXml, $options);
    }

    /**
     * Stops exporting the object at $path (its property values go with it).
     *
     * @throws InvalidArgumentException when nothing is exported there
     */
    public function unexport(string $path): void
    {
        $this->server->unexport($path);
    }

    /** True when this Bus exports an object at $path. */
    public function isExported(string $path): bool
    {
        return $this->server->isExported($path);
    }

    /**
     * @internal ExportedObject::setProperty()
     * @param mixed $value
     */
    public function setExportedProperty(string $path, string $interface, string $name, $value): void
    {
        $this->server->setExportedProperty($path, $interface, $name, $value);
    }

    /**
     * The call a handler of an exported object is answering (sender, interface, member), or
     * null outside a handler.
     */
    public function currentCall(): ?IncomingCall
    {
        return $this->server->currentCall();
    }

    /**
     * How many signals were dropped because a queue was full: the library's event queue, and
     * the signals serve() kept for nextSignal(). Only grows.
     */
    public function droppedSignals(): int
    {
        return $this->loop->droppedSignals();
    }

    /**
     * The event machinery's counters: the library's (queued_signals, queued_calls,
     * pending_calls, subscriptions, exports, dropped_signals, refused_calls, expired_calls,
     * queue_limit, queue_bytes, call_timeout_ms, max_pending_calls) and PHP's
     * (php_kept_signals, php_dropped_signals, php_cached_credentials: callers whose
     * IncomingCall::getCredentials() answer is kept).
     *
     * @return array<string, int>
     */
    public function eventStats(): array
    {
        return $this->loop->eventStats();
    }

    /**
     * Sets bounds of the event machinery: 'queueLimit' (signals kept at most, default 4096,
     * in the library and in PHP), 'queueBytes' (their total size, default 64 MiB),
     * 'callTimeout' (seconds a received call waits for its answer, default 25; then the
     * library answers NoReply), 'maxPendingCalls' (unanswered calls at once, default 1024;
     * more are refused with LimitsExceeded), 'maxAsyncCalls' (callAsync() calls running at
     * once, default 1024, at most 65536).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param array<string, int|float> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function setEventOptions(array $options): void
    {
        $this->loop->setEventOptions($options);
    }

    /**
     * A read-only stream that is readable exactly while something is ready (a signal, a call
     * to serve, a name event, a finished asynchronous call) and until it has been taken, for
     * stream_select() and event loops: when it is readable, call process() and take the
     * signals with nextSignal(0). A loop waiting on it spends no CPU while nothing happens. Do
     * not read from it. A new stream (a duplicate of the library's descriptor) on each call;
     * close it with fclose().
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @return resource
     * @throws SkypeBusException
     */
    public function eventStream()
    {
        return $this->loop->eventStream();
    }

    /**
     * True when this Bus is a handle to the connection shared by every Bus of its address in
     * this process (connect(), session(), system()), false for connectPrivate() and once the
     * Bus has moved to a private connection (subscribe(), export(), requestName()).
     */
    public function isShared(): bool
    {
        return $this->connection->native->isShared($this->connection->handle());
    }

    /**
     * Closes the connection; calls afterwards throw DisconnectedException. Its subscriptions,
     * exported objects and owned names end with it. Idempotent.
     */
    public function close(): void
    {
        if ($this->connection->handle !== null) {
            $this->signals->reset();
            $this->server->reset();
            $this->connection->close();
        }
    }

    /**
     * True once close() was called, and also once the connection is lost (the bus died, or
     * this is the parent's Bus after fork()): when calls would throw DisconnectedException.
     */
    public function isClosed(): bool
    {
        return $this->connection->isLost();
    }

    /**
     * Tells this Bus's messages to a PSR-3 logger, one busctl-like line each: calls, property
     * requests, replies (debug), error replies (info), signals emitted and received, calls
     * served (debug). Null removes it. psr/log is not required by this package: any
     * Psr\Log\LoggerInterface works. (SKYPEBUS_TRACE=1 in the environment makes the library
     * print every message it sends and receives to standard error, SKYPEBUS_TRACE=/path appends
     * them to a file: one wire-level line per message, for C programs and PHP alike.)
     *
     * @param \Psr\Log\LoggerInterface|null $logger
     */
    public function setLogger(?object $logger): void
    {
        $this->connection->tracer = Tracer::withLogger($logger);
    }

    /**
     * What print_r() and var_dump() show: the connection as a user knows it, not FFI internals.
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        $closed = $this->isClosed();
        return [
            'address' => $this->connection->address(),
            'uniqueName' => $closed ? null : $this->connection->native->uniqueName($this->connection->handle()),
            'shared' => $closed ? null : $this->isShared(),
            'closed' => $closed,
            'ownedNames' => $this->ownedNames(),
        ];
    }

    public function __destruct()
    {
        $this->close();
    }

    public function __sleep(): array
    {
        throw new \LogicException('A SkypeBus\Bus cannot be serialized');
    }

    public function __wakeup(): void
    {
        throw new \LogicException('A SkypeBus\Bus cannot be unserialized');
    }

    private function __clone()
    {
    }
}
