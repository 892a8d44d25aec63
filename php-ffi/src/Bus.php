<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\SkypeBusException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Codec;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\Export;

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
final class Bus
{
    /** RequestName flag: let another connection that asks with NAME_REPLACE_EXISTING take the name. */
    public const NAME_ALLOW_REPLACEMENT = 1;
    /** RequestName flag: take the name from its owner if that owner allowed replacement. */
    public const NAME_REPLACE_EXISTING = 2;
    /** RequestName flag: do not wait in the queue when the name is owned. */
    public const NAME_DO_NOT_QUEUE = 4;

    /** requestName() answer: we are now the primary owner. */
    public const NAME_PRIMARY_OWNER = 1;
    /** requestName() answer: the name is owned; we wait in its queue. */
    public const NAME_IN_QUEUE = 2;
    /** requestName() answer: the name is owned and we asked not to queue. */
    public const NAME_EXISTS = 3;
    /** requestName() answer: we already own the name. */
    public const NAME_ALREADY_OWNER = 4;

    /** releaseName() answer: we owned or queued for the name and no longer do. */
    public const NAME_RELEASED = 1;
    /** releaseName() answer: nobody owns the name. */
    public const NAME_NON_EXISTENT = 2;
    /** releaseName() answer: someone else owns the name and we are not in its queue. */
    public const NAME_NOT_OWNER = 3;

    /** Longest wait inside the library between two checks of PHP signals and interrupt(). */
    private const SLICE = 0.05;

    /** Signals kept on the PHP side (taken from the library while serving) by default. */
    private const SIGNAL_LIMIT = 4096;

    /** @var \FFI */
    private $ffi;

    /** @var \FFI\CData|null skypebus_connection*, null once closed */
    private $handle;

    /** @var string the address the Bus was opened with (also to reopen it privately) */
    private $address;

    /** @var bool a connection of this Bus alone */
    private $private;

    /** @var int|null the timeout setTimeout() gave, carried over to a private connection */
    private $timeoutMs;

    /** @var \SplQueue<Signal> signals taken from the library while serving, kept for nextSignal() */
    private $signals;

    /** @var int */
    private $signalLimit = self::SIGNAL_LIMIT;

    /** @var int signals dropped from $signals because it was full */
    private $droppedInPhp = 0;

    /** @var array<int, bool> active subscription id => typed variants */
    private $subscriptions = [];

    /** @var array<string, Export> exported path => its handler */
    private $exports = [];

    /** @var array<string, true> well-known names we own, as far as the bus told us */
    private $ownedNames = [];

    /** @var IncomingCall|null the call a handler is answering */
    private $currentCall;

    /** @var int calls and property writes answered, for serve() and process() */
    private $answered = 0;

    /** @var bool interrupt() was called and no wait has returned for it yet */
    private $interrupted = false;

    /** @var bool the last wait returned because of interrupt() or close() */
    private $lastWaitInterrupted = false;

    /** @var \FFI\CData|null call()'s reply out-parameter (char *), made on first use */
    private $replyOut;

    /** @var \FFI\CData|null call()'s error out-parameter (skypebus_error *), made on first use */
    private $errorOut;

    /** @var \FFI\CData|null call()'s byte-array reply out-parameter (uint8_t *) */
    private $bytesOut;

    /** @var \FFI\CData|null the length of that byte array (size_t) */
    private $bytesLength;

    /** @var list<\FFI\CData>|null the addresses of the out-parameters, in the argument order */
    private $outAddresses;

    private function __construct(\FFI $ffi, \FFI\CData $handle, string $address, bool $private)
    {
        $this->ffi = $ffi;
        $this->handle = $handle;
        $this->address = $address;
        $this->private = $private;
        $this->signals = new \SplQueue();
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
        return self::open('skypebus_connection_open', $address);
    }

    /**
     * Connects like connect(), but to a connection of this Bus alone, with its own unique name:
     * for owning names, for a timeout of its own, or to keep other code's traffic apart.
     *
     * @throws Exception\ConnectFailedException|InvalidArgumentException
     */
    public static function connectPrivate(string $address): self
    {
        return self::open('skypebus_connection_open_private', $address);
    }

    private static function open(string $function, string $address): self
    {
        if ($address === '') {
            throw new InvalidArgumentException('The bus address is empty', 'net.skypebus.Error.InvalidName', Errors::INVALID_NAME);
        }
        $ffi = Library::ffi();
        $connection = $ffi->new('skypebus_connection*');
        $error = $ffi->new('skypebus_error*');
        Library::check($ffi, $ffi->{$function}($address, \FFI::addr($connection), \FFI::addr($error)), $error);
        return new self($ffi, $connection, $address, $function === 'skypebus_connection_open_private');
    }

    /**
     * Calls a method and returns the list of the reply's values (empty for none).
     *
     * With no signature the library finds one (introspection, then inference); give one to be
     * exact. Typed values (SkypeBus\Type\*) fix the type of a single value. $options: 'timeout'
     * (seconds, default 25), 'variants' => 'typed' (variants come back as Variant objects
     * instead of their values), 'noReply' => true (do not wait; returns []).
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
        $checked = $options === [] ? CallOptions::defaults() : CallOptions::fromArray($options);
        $request = Codec::encodeCall($destination, $path, $interface, $method, $args, $signature, $checked);
        // The out-parameters are this Bus's own, reused by every call (a PHP thread makes one
        // call at a time): the library writes the error on failure and the reply on success,
        // and only what it wrote is read.
        if ($this->replyOut === null) {
            $this->replyOut = $this->ffi->new('char*');
            $this->errorOut = $this->ffi->new('skypebus_error*');
            $this->bytesOut = $this->ffi->new('uint8_t*');
            $this->bytesLength = $this->ffi->new('size_t');
            $this->outAddresses = [
                \FFI::addr($this->replyOut),
                \FFI::addr($this->bytesOut),
                \FFI::addr($this->bytesLength),
                \FFI::addr($this->errorOut),
            ];
        }
        $out = $this->replyOut;
        $error = $this->errorOut;
        [$outAddress, $bytesAddress, $lengthAddress, $errorAddress] = $this->outAddresses;
        // skypebus_call_bytes: a reply that is one byte array comes as its raw bytes (no base64).
        $result = $this->ffi->skypebus_call_bytes($this->handle(), $request, $outAddress, $bytesAddress, $lengthAddress, $errorAddress);
        if ($result !== 0) {
            Library::check($this->ffi, $result, $error);
        }
        $bytes = $this->bytesOut;
        if (!\FFI::isNull($bytes)) {
            $length = (int) $this->bytesLength->cdata;
            $value = $length === 0 ? '' : \FFI::string($bytes, $length);
            $this->ffi->skypebus_bytes_free($bytes, $length);
            return $checked->noReply ? [] : [$value];
        }
        $reply = Library::takeString($this->ffi, $out);
        return $checked->noReply ? [] : Codec::decodeReply($reply, $checked->typedVariants);
    }

    /**
     * An object of a peer, whose methods are PHP methods and whose properties are PHP
     * properties: $proxy->Notify(...), $proxy->Volume, $proxy->Volume = 0.5.
     *
     * @param string|null $interface the interface of the methods and properties; null finds each
     *                               member's interface in the introspection data
     * @param array<string, mixed> $options call options for every method call of the proxy
     */
    public function proxy(string $destination, string $path, ?string $interface = null, array $options = []): Proxy
    {
        CallOptions::fromArray($options);
        return new Proxy($this, $destination, $path, $interface, $options);
    }

    /**
     * Sets the timeout of the calls that do not give the 'timeout' option (initially 25 s). On
     * a shared connection (connect()) this is the timeout of every Bus of that address.
     *
     * @param float $seconds greater than 0
     */
    public function setTimeout(float $seconds): void
    {
        $milliseconds = (int) CallOptions::fromArray(['timeout' => $seconds])->timeoutMs;
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_connection_set_timeout($this->handle(), $milliseconds, \FFI::addr($error)), $error);
        $this->timeoutMs = $milliseconds;
    }

    /** The address this Bus was opened with: "session", "system", or a D-Bus address. */
    public function getAddress(): string
    {
        return $this->address;
    }

    /** The unique name of this connection on the bus, such as ":1.42". */
    public function getUniqueName(): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_connection_unique_name($this->handle(), \FFI::addr($out), \FFI::addr($error)),
            $error
        );
        return Library::takeString($this->ffi, $out);
    }

    /**
     * A property's value (org.freedesktop.DBus.Properties.Get).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return mixed
     */
    public function getProperty(string $destination, string $path, string $interface, string $name, array $options = [])
    {
        return $this->properties('get', $destination, $path, $interface, $name, null, null, $options);
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
        $this->properties('set', $destination, $path, $interface, $name, $value, $signature, $options);
    }

    /**
     * All properties of an interface as name => value (org.freedesktop.DBus.Properties.GetAll).
     *
     * @param array<string, mixed> $options 'timeout', 'variants' as for call()
     * @return array<string, mixed>
     */
    public function getAllProperties(string $destination, string $path, string $interface, array $options = []): array
    {
        return $this->properties('get_all', $destination, $path, $interface, null, null, null, $options);
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
        $unknown = array_diff(array_keys($options), ['timeout']);
        if ($unknown !== []) {
            throw new InvalidArgumentException(
                sprintf('Unknown introspect option "%s"; the option is: timeout', (string) reset($unknown)),
                'net.skypebus.Error.InvalidRequest',
                Errors::INVALID_REQUEST
            );
        }
        $checked = CallOptions::fromArray($options);
        $request = ['path' => $path];
        if ($destination !== '') {
            $request = ['destination' => $destination] + $request;
        }
        if ($checked->timeoutMs !== null) {
            $request['timeout_ms'] = $checked->timeoutMs;
        }
        $data = json_decode($this->request('skypebus_introspect', Codec::encode($request)), true);
        return is_array($data) ? $data : [];
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
        $maxInFlight = null;
        foreach ($options as $key => $value) {
            if ((string) $key !== 'maxInFlight') {
                throw self::invalid(sprintf('Unknown callMany option "%s"; the option is: maxInFlight', $key));
            }
            if (!is_int($value) || $value < 1 || $value > 1024) {
                throw self::invalid('The option "maxInFlight" must be an int from 1 to 1024');
            }
            $maxInFlight = $value;
        }
        $results = [];
        $batch = [];
        $sent = [];
        foreach ($requests as $key => $request) {
            [$destination, $path, $interface, $method, $args, $signature, $callOptions] = self::batchEntry($key, $request);
            $results[$key] = null;
            try {
                $checked = CallOptions::fromArray($callOptions);
                $batch[] = Codec::callRequest($destination, $path, $interface, $method, $args, $signature, $checked);
                $sent[] = [$key, $checked];
            } catch (InvalidArgumentException $e) {
                $results[$key] = $e;
            }
        }
        if ($batch === []) {
            $this->handle();
            return $results;
        }
        $json = Codec::encode($maxInFlight === null ? $batch : ['requests' => $batch, 'max_in_flight' => $maxInFlight]);
        $replies = Codec::decodeJson($this->request('skypebus_call_many', $json), 'the replies of callMany');
        foreach ($sent as $i => [$key, $checked]) {
            $reply = is_array($replies) ? ($replies[$i] ?? null) : null;
            if (is_array($reply) && isset($reply['error']) && is_array($reply['error'])) {
                $error = $reply['error'];
                $results[$key] = Errors::exceptionFor(
                    (int) ($error['code'] ?? Errors::DBUS_ERROR),
                    (string) ($error['name'] ?? 'net.skypebus.Error.Unknown'),
                    (string) ($error['message'] ?? '')
                );
                continue;
            }
            try {
                $results[$key] = $checked->noReply ? [] : Codec::decodeEnvelope($reply, $checked->typedVariants);
            } catch (DBusException $e) {
                $results[$key] = $e;
            }
        }
        return $results;
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
        $request = [];
        $typed = false;
        foreach ($match as $key => $value) {
            $key = (string) $key;
            if ($key === 'variants') {
                if ($value !== 'typed' && $value !== 'plain') {
                    throw self::invalid('The match key "variants" must be "typed" or "plain"');
                }
                $typed = $value === 'typed';
                continue;
            }
            if ($key === 'bytes') {
                throw self::invalid('The match key "bytes" is not for PHP: "ay" values always come as binary strings');
            }
            if (!is_string($value)) {
                throw self::invalid(sprintf('The match key "%s" must be a string, %s given', $key, Codec::describe($value)));
            }
            $request[$key] = $value;
        }
        $request['variants'] = 'typed';
        $request['bytes'] = 'base64';
        $this->ensurePrivate();
        $id = $this->ffi->new('uint64_t');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_subscribe($this->handle(), Codec::encode((object) $request), \FFI::addr($id), \FFI::addr($error)),
            $error
        );
        $id = (int) $id->cdata;
        $this->subscriptions[$id] = $typed;
        return new Subscription($this, $id, $match);
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
        if (!isset($this->subscriptions[$id]) || $this->handle === null) {
            return;
        }
        unset($this->subscriptions[$id]);
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_unsubscribe($this->handle, $id, \FFI::addr($error)), $error);
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
        self::checkWait($timeout);
        $this->handle();
        $this->lastWaitInterrupted = false;
        $kept = $this->keptSignal();
        if ($kept !== null) {
            return $kept;
        }
        return $this->loop($timeout, true);
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
        if ($timeout !== null) {
            self::checkWait($timeout);
        }
        while ($this->handle !== null) {
            $signal = $this->nextSignal($timeout ?? 3600.0);
            if ($signal === null) {
                if ($timeout !== null || $this->lastWaitInterrupted) {
                    return;
                }
                continue;
            }
            yield $signal;
        }
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
        self::checkWait($timeout);
        $this->handle();
        $this->lastWaitInterrupted = false;
        $before = $this->answered;
        $this->loop($timeout, false);
        return $this->answered - $before;
    }

    /**
     * Answers the calls already waiting, without waiting for more, and returns how many it
     * answered (signals are kept for nextSignal(), as in serve()).
     *
     * @throws SkypeBusException
     */
    public function process(): int
    {
        $before = $this->answered;
        $stats = $this->libraryStats();
        $pending = (int) ($stats['queued_calls'] ?? 0) + (int) ($stats['queued_signals'] ?? 0);
        for ($i = 0; $i < $pending && $this->handle !== null; $i++) {
            $event = $this->pull(0);
            if ($event === null) {
                break;
            }
            $signal = $this->handleEvent($event);
            if ($signal !== null) {
                $this->keep($signal);
            }
        }
        return $this->answered - $before;
    }

    /**
     * Makes the wait in progress (serve(), nextSignal(), signals()) return at its next slice,
     * or, outside a wait, the next one return at once. For PHP signal handlers and for
     * exported methods that stop a worker.
     */
    public function interrupt(): void
    {
        $this->interrupted = true;
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
        $json = Codec::encodeSignal($path, $interface, $member, $args, $signature, $destination);
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_emit($this->handle(), $json, \FFI::addr($error)), $error);
    }

    /**
     * Asks the bus for a well-known name and returns its answer: NAME_PRIMARY_OWNER,
     * NAME_IN_QUEUE, NAME_EXISTS or NAME_ALREADY_OWNER. $flags: an OR of
     * NAME_ALLOW_REPLACEMENT, NAME_REPLACE_EXISTING, NAME_DO_NOT_QUEUE. Getting a queued name
     * later, or losing it, is seen in ownedNames() once events are taken (serve(),
     * nextSignal(), process()).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @throws InvalidArgumentException|SkypeBusException (AccessDeniedException when the bus' policy refuses)
     */
    public function requestName(string $name, int $flags = 0): int
    {
        if ($flags < 0 || $flags > 0xffffffff) {
            throw self::invalid(sprintf('Invalid requestName flags %d', $flags));
        }
        $this->ensurePrivate();
        $answer = $this->ffi->new('uint32_t');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_request_name($this->handle(), $name, $flags, \FFI::addr($answer), \FFI::addr($error)),
            $error
        );
        $answer = (int) $answer->cdata;
        if ($answer === self::NAME_PRIMARY_OWNER || $answer === self::NAME_ALREADY_OWNER) {
            $this->ownedNames[$name] = true;
        }
        return $answer;
    }

    /**
     * Gives a well-known name back to the bus and returns its answer: NAME_RELEASED,
     * NAME_NON_EXISTENT or NAME_NOT_OWNER.
     *
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function releaseName(string $name): int
    {
        $answer = $this->ffi->new('uint32_t');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_release_name($this->handle(), $name, \FFI::addr($answer), \FFI::addr($error)),
            $error
        );
        unset($this->ownedNames[$name]);
        return (int) $answer->cdata;
    }

    /**
     * The well-known names this Bus owns, as far as the bus has told it: names requestName()
     * got at once, and names acquired or lost later, seen once events are taken.
     *
     * @return list<string>
     */
    public function ownedNames(): array
    {
        return array_keys($this->ownedNames);
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
     * 'properties' => ['<interface>' => ['<property>' => value]] (initial values).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param array<string, mixed> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function export(string $path, object $handler, string $introspectionXml, array $options = []): ExportedObject
    {
        $typed = false;
        $properties = null;
        foreach ($options as $key => $value) {
            switch ((string) $key) {
                case 'variants':
                    if ($value !== 'typed' && $value !== 'plain') {
                        throw self::invalid('The export option "variants" must be "typed" or "plain"');
                    }
                    $typed = $value === 'typed';
                    break;
                case 'properties':
                    if (!is_array($value)) {
                        throw self::invalid('The export option "properties" must be an array of interface => [property => value]');
                    }
                    $properties = $value;
                    break;
                default:
                    throw self::invalid(sprintf('Unknown export option "%s"; the options are: variants, properties', $key));
            }
        }
        $export = new Export($handler, $introspectionXml, $typed);
        $request = ['variants' => 'typed', 'bytes' => 'base64'];
        if ($properties !== null) {
            $values = new \stdClass();
            foreach ($properties as $interface => $list) {
                if (!is_array($list)) {
                    throw self::invalid(sprintf('The export option "properties" for %s must be an array of property => value', $interface));
                }
                $prepared = new \stdClass();
                foreach ($list as $name => $value) {
                    $type = $export->schema()->propertyType((string) $interface, (string) $name);
                    $prepared->{$name} = Codec::prepareProperty($value, $type ?? 'v');
                }
                $values->{$interface} = $prepared;
            }
            $request['properties'] = $values;
        }
        $json = Codec::encode($request);
        $this->ensurePrivate();
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_export($this->handle(), $path, $introspectionXml, $json, \FFI::addr($error)),
            $error
        );
        $this->exports[$path] = $export;
        return new ExportedObject($this, $path);
    }

    /**
     * Stops exporting the object at $path (its property values go with it).
     *
     * @throws InvalidArgumentException when nothing is exported there
     */
    public function unexport(string $path): void
    {
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_unexport($this->handle(), $path, \FFI::addr($error)), $error);
        unset($this->exports[$path]);
    }

    /** True when this Bus exports an object at $path. */
    public function isExported(string $path): bool
    {
        return $this->handle !== null && isset($this->exports[$path]);
    }

    /**
     * @internal ExportedObject::setProperty()
     * @param mixed $value
     */
    public function setExportedProperty(string $path, string $interface, string $name, $value): void
    {
        $export = $this->exports[$path] ?? null;
        $type = $export !== null ? $export->schema()->propertyType($interface, $name) : null;
        $json = Codec::encode(Codec::prepareProperty($value, $type ?? 'v'));
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_set_property($this->handle(), $path, $interface, $name, $json, \FFI::addr($error)),
            $error
        );
    }

    /**
     * The call a handler of an exported object is answering (sender, interface, member), or
     * null outside a handler.
     */
    public function currentCall(): ?IncomingCall
    {
        return $this->currentCall;
    }

    /**
     * How many signals were dropped because a queue was full: the library's event queue, and
     * the signals serve() kept for nextSignal(). Only grows.
     */
    public function droppedSignals(): int
    {
        $count = $this->ffi->new('uint64_t');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_dropped_signals($this->handle(), \FFI::addr($count), \FFI::addr($error)), $error);
        return (int) $count->cdata + $this->droppedInPhp;
    }

    /**
     * The event machinery's counters: the library's (queued_signals, queued_calls,
     * pending_calls, subscriptions, exports, dropped_signals, refused_calls, expired_calls,
     * queue_limit, queue_bytes, call_timeout_ms, max_pending_calls) and PHP's
     * (php_kept_signals, php_dropped_signals).
     *
     * @return array<string, int>
     */
    public function eventStats(): array
    {
        return $this->libraryStats() + [
            'php_kept_signals' => count($this->signals),
            'php_dropped_signals' => $this->droppedInPhp,
        ];
    }

    /**
     * Sets bounds of the event machinery: 'queueLimit' (signals kept at most, default 4096,
     * in the library and in PHP), 'queueBytes' (their total size, default 64 MiB),
     * 'callTimeout' (seconds a received call waits for its answer, default 25; then the
     * library answers NoReply), 'maxPendingCalls' (unanswered calls at once, default 1024;
     * more are refused with LimitsExceeded).
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @param array<string, int|float> $options
     * @throws InvalidArgumentException|SkypeBusException
     */
    public function setEventOptions(array $options): void
    {
        $request = [];
        $names = ['queueLimit' => 'queue_limit', 'queueBytes' => 'queue_bytes', 'maxPendingCalls' => 'max_pending_calls'];
        foreach ($options as $key => $value) {
            $key = (string) $key;
            if ($key === 'callTimeout') {
                $request['call_timeout_ms'] = CallOptions::fromArray(['timeout' => $value])->timeoutMs;
            } elseif (isset($names[$key])) {
                if (!is_int($value) || $value < 1) {
                    throw self::invalid(sprintf('The event option "%s" must be an int of 1 or more', $key));
                }
                $request[$names[$key]] = $value;
            } else {
                throw self::invalid(sprintf(
                    'Unknown event option "%s"; the options are: queueLimit, queueBytes, callTimeout, maxPendingCalls',
                    $key
                ));
            }
        }
        $this->ensurePrivate();
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_connection_set_event_options($this->handle(), Codec::encode((object) $request), \FFI::addr($error)),
            $error
        );
        if (isset($request['queue_limit'])) {
            $this->signalLimit = $request['queue_limit'];
            while (count($this->signals) > $this->signalLimit) {
                $this->signals->dequeue();
                $this->droppedInPhp++;
            }
        }
    }

    /**
     * A read-only stream that is readable while an event (signal, call) is waiting, for
     * stream_select() loops: when it is readable, call process() and take the signals with
     * nextSignal(0). Do not read from it. A new stream (a duplicate of the library's
     * descriptor) on each call; close it with fclose().
     *
     * Moves a shared Bus to a private connection (see the class comment).
     *
     * @return resource
     * @throws SkypeBusException
     */
    public function eventStream()
    {
        $this->ensurePrivate();
        $fd = $this->ffi->new('int32_t');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->skypebus_connection_event_fd($this->handle(), \FFI::addr($fd), \FFI::addr($error)), $error);
        $stream = fopen('php://fd/' . (int) $fd->cdata, 'rb');
        if ($stream === false) {
            throw new DBusException('net.skypebus.Error.IO', 'Cannot open the event descriptor as a stream', Errors::IO_ERROR);
        }
        return $stream;
    }

    /**
     * True when this Bus is a handle to the connection shared by every Bus of its address in
     * this process (connect(), session(), system()), false for connectPrivate() and once the
     * Bus has moved to a private connection (subscribe(), export(), requestName()).
     */
    public function isShared(): bool
    {
        return (bool) $this->ffi->skypebus_connection_is_shared($this->handle());
    }

    /**
     * Closes the connection; calls afterwards throw DisconnectedException. Its subscriptions,
     * exported objects and owned names end with it. Idempotent.
     */
    public function close(): void
    {
        if ($this->handle !== null) {
            $handle = $this->handle;
            $this->handle = null;
            $this->subscriptions = [];
            $this->exports = [];
            $this->ownedNames = [];
            $this->signals = new \SplQueue();
            $this->ffi->skypebus_connection_free($handle);
        }
    }

    public function isClosed(): bool
    {
        return $this->handle === null;
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

    /**
     * Moves a Bus that is a handle to a shared connection to a private connection of its own,
     * opened to the same address (with the timeout setTimeout() gave), and releases the shared
     * handle. Subscriptions, exports and owned names need a connection of their own: so that a
     * served object's unique name is the one its own calls come from, and so that they do not
     * affect other users of the shared connection.
     */
    private function ensurePrivate(): void
    {
        $shared = $this->handle();
        if ($this->private) {
            return;
        }
        $connection = $this->ffi->new('skypebus_connection*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check(
            $this->ffi,
            $this->ffi->skypebus_connection_open_private($this->address, \FFI::addr($connection), \FFI::addr($error)),
            $error
        );
        if ($this->timeoutMs !== null) {
            $error = $this->ffi->new('skypebus_error*');
            $result = $this->ffi->skypebus_connection_set_timeout($connection, $this->timeoutMs, \FFI::addr($error));
            if ($result !== Errors::OK) {
                $this->ffi->skypebus_connection_free($connection);
                Library::check($this->ffi, $result, $error);
            }
        }
        $this->handle = $connection;
        $this->private = true;
        $this->ffi->skypebus_connection_free($shared);
    }

    /**
     * The event loop of nextSignal() ($untilSignal: returns the first signal) and serve()
     * (keeps signals and runs until the deadline). Waits inside the library in slices; between
     * slices (and at least every slice while busy) PHP signal handlers run, and interrupt() or
     * close() end the loop. Past the deadline, events already waiting are still taken for up to
     * one more slice, so that a queue with calls ahead of a signal does not hide the signal.
     */
    private function loop(float $timeout, bool $untilSignal): ?Signal
    {
        $start = microtime(true);
        $deadline = $start + $timeout;
        $lastDispatch = $start;
        while (true) {
            if ($this->handle === null || $this->interrupted) {
                $this->interrupted = false;
                $this->lastWaitInterrupted = true;
                return null;
            }
            $now = microtime(true);
            $remaining = $deadline - $now;
            $event = $this->pull($remaining > 0 ? (int) ceil(min($remaining, self::SLICE) * 1000) : 0);
            if ($event !== null) {
                $signal = $this->handleEvent($event);
                if ($signal !== null) {
                    if ($untilSignal) {
                        return $signal;
                    }
                    $this->keep($signal);
                }
            }
            $now = microtime(true);
            if ($event === null || $now - $lastDispatch >= self::SLICE) {
                self::dispatchPcntl();
                $lastDispatch = $now;
            }
            if ($now >= $deadline && ($event === null || $now >= $deadline + self::SLICE)) {
                if ($this->handle === null || $this->interrupted) {
                    continue;
                }
                return null;
            }
        }
    }

    /** Runs the PHP signal handlers that are due (ext-pcntl), if the extension is loaded. */
    private static function dispatchPcntl(): void
    {
        if (function_exists('pcntl_signal_dispatch')) {
            pcntl_signal_dispatch();
        }
    }

    /**
     * The next event from the library, waiting up to $milliseconds; null when none came.
     *
     * @return array<string, mixed>|null
     */
    private function pull(int $milliseconds): ?array
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        $result = $this->ffi->skypebus_next_event($this->handle(), $milliseconds, \FFI::addr($out), \FFI::addr($error));
        if ($result === Errors::EMPTY) {
            if (!\FFI::isNull($error)) {
                $this->ffi->skypebus_error_free($error);
            }
            return null;
        }
        Library::check($this->ffi, $result, $error);
        $event = Codec::decodeJson(Library::takeString($this->ffi, $out), 'an event');
        return is_array($event) ? $event : null;
    }

    /**
     * Does what an event asks: answers a call, notes a name event; returns a signal.
     *
     * @param array<string, mixed> $event
     */
    private function handleEvent(array $event): ?Signal
    {
        switch ($event['kind'] ?? null) {
            case 'signal':
                return $this->signalOf($event);
            case 'call':
                $this->answerCall($event);
                return null;
            case 'set_property':
                $this->answerPropertyWrite($event);
                return null;
            case 'name_acquired':
                $this->ownedNames[(string) ($event['name'] ?? '')] = true;
                return null;
            case 'name_lost':
                unset($this->ownedNames[(string) ($event['name'] ?? '')]);
                return null;
            default:
                return null;
        }
    }

    /**
     * @param array<string, mixed> $event
     */
    private function signalOf(array $event): Signal
    {
        $ids = [];
        foreach ((array) ($event['subscriptions'] ?? []) as $id) {
            $ids[] = (int) $id;
        }
        $typed = $ids !== [] && ($this->subscriptions[min($ids)] ?? false);
        $signature = (string) ($event['type'] ?? '');
        $args = [];
        $problem = null;
        if (isset($event['error']) && is_array($event['error'])) {
            $problem = (string) ($event['error']['message'] ?? 'the signal could not be decoded');
        } else {
            try {
                $data = $event['data'] ?? [];
                $args = Codec::decodeValues(is_array($data) ? $data : [], $signature, $typed);
            } catch (DBusException $e) {
                $problem = $e->getMessage();
            }
        }
        return new Signal(
            (string) ($event['sender'] ?? ''),
            isset($event['destination']) ? (string) $event['destination'] : null,
            (string) ($event['path'] ?? ''),
            (string) ($event['interface'] ?? ''),
            (string) ($event['member'] ?? ''),
            $signature,
            $args,
            $ids,
            $problem
        );
    }

    /** Keeps a signal taken while serving for nextSignal(), dropping the oldest beyond the limit. */
    private function keep(Signal $signal): void
    {
        $this->signals->enqueue($signal);
        if (count($this->signals) > $this->signalLimit) {
            $this->signals->dequeue();
            $this->droppedInPhp++;
        }
    }

    /** The oldest kept signal that still matches an active subscription. */
    private function keptSignal(): ?Signal
    {
        while (!$this->signals->isEmpty()) {
            $signal = $this->signals->dequeue();
            foreach ($signal->getSubscriptions() as $id) {
                if (isset($this->subscriptions[$id])) {
                    return $signal;
                }
            }
        }
        return null;
    }

    /**
     * Runs the handler of a call event and answers the call.
     *
     * @param array<string, mixed> $event
     */
    private function answerCall(array $event): void
    {
        $handle = (int) ($event['call'] ?? 0);
        $call = new IncomingCall(
            (string) ($event['sender'] ?? ''),
            (string) ($event['path'] ?? ''),
            (string) ($event['interface'] ?? ''),
            (string) ($event['member'] ?? ''),
            (string) ($event['type'] ?? ''),
            (bool) ($event['no_reply'] ?? false)
        );
        $export = $this->exports[$call->getPath()] ?? null;
        if ($export === null) {
            $answer = ['error', 'org.freedesktop.DBus.Error.UnknownObject', 'No object at ' . $call->getPath()];
        } else {
            $previous = $this->currentCall;
            $this->currentCall = $call;
            try {
                $answer = $export->answerCall($event, $call);
            } finally {
                $this->currentCall = $previous;
            }
        }
        $this->send($handle, $answer, $call->getInterface(), $call->getMember(), $export);
    }

    /**
     * Lets the handler accept or refuse a remote property write, and answers it.
     *
     * @param array<string, mixed> $event
     */
    private function answerPropertyWrite(array $event): void
    {
        $export = $this->exports[(string) ($event['path'] ?? '')] ?? null;
        $answer = $export !== null
            ? $export->answerPropertyWrite($event)
            : ['error', 'org.freedesktop.DBus.Error.UnknownObject', 'No object at ' . (string) ($event['path'] ?? '')];
        $this->send((int) ($event['call'] ?? 0), $answer, (string) ($event['interface'] ?? ''), (string) ($event['name'] ?? ''), null);
    }

    /**
     * Sends an answer: a reply whose values the library refuses (they do not fit the declared
     * out signature) becomes a Failed error saying why, and an error name the library refuses
     * becomes Failed with the handler's message. A Bus closed by the handler sends nothing.
     *
     * @param array{0: string, 1: string|null, 2?: string} $answer
     */
    private function send(int $call, array $answer, string $interface, string $member, ?Export $export): void
    {
        if ($this->handle === null) {
            return;
        }
        $this->answered++;
        $error = $this->ffi->new('skypebus_error*');
        if ($answer[0] === 'reply') {
            $result = $this->ffi->skypebus_reply($this->handle, $call, $answer[1], \FFI::addr($error));
            if ($result === Errors::OK) {
                return;
            }
            $message = 'result ' . $result;
            if (!\FFI::isNull($error)) {
                $text = $this->ffi->skypebus_error_message($error);
                $message = $text instanceof \FFI\CData ? (\FFI::isNull($text) ? '' : \FFI::string($text)) : (string) $text;
                $this->ffi->skypebus_error_free($error);
            }
            if ($result !== Errors::TYPE_MISMATCH && $result !== Errors::INVALID_JSON && $result !== Errors::INVALID_REQUEST
                && $result !== Errors::INVALID_UTF8 && $result !== Errors::LIMIT_EXCEEDED) {
                return;
            }
            $outTypes = $export !== null ? $export->schema()->outTypes($interface, $member) : null;
            $answer = Export::misfit($interface, $member, $outTypes, $message);
            $error = $this->ffi->new('skypebus_error*');
        }
        $result = $this->ffi->skypebus_reply_error($this->handle, $call, (string) $answer[1], $answer[2] ?? '', \FFI::addr($error));
        if ($result === Errors::INVALID_NAME) {
            $this->ffi->skypebus_error_free($error);
            $error = $this->ffi->new('skypebus_error*');
            $result = $this->ffi->skypebus_reply_error(
                $this->handle,
                $call,
                Export::FAILED,
                sprintf('%s (the handler gave the invalid error name "%s")', $answer[2] ?? '', $answer[1]),
                \FFI::addr($error)
            );
        }
        if ($result !== Errors::OK && !\FFI::isNull($error)) {
            $this->ffi->skypebus_error_free($error);
        }
    }

    /**
     * @return array<string, int>
     */
    private function libraryStats(): array
    {
        $stats = Codec::decodeJson($this->fetch('skypebus_event_stats'), 'the event statistics');
        return is_array($stats) ? $stats : [];
    }

    /**
     * One entry of callMany() as call()'s arguments.
     *
     * @param int|string $key
     * @param mixed $request
     * @return array{0: string, 1: string, 2: string|null, 3: string, 4: array<int|string, mixed>, 5: string|null, 6: array<string, mixed>}
     * @throws InvalidArgumentException
     */
    private static function batchEntry($key, $request): array
    {
        $keys = ['destination', 'path', 'interface', 'method', 'args', 'signature', 'options'];
        if (!is_array($request)) {
            throw self::invalid(sprintf('callMany(): request %s must be an array, %s given', $key, Codec::describe($request)));
        }
        if (Codec::isList($request)) {
            if (count($request) < 4 || count($request) > 7) {
                throw self::invalid(sprintf(
                    'callMany(): request %s, a list, must hold call()\'s arguments: destination, path, interface, method[, args, signature, options]',
                    $key
                ));
            }
            $request = array_combine(array_slice($keys, 0, count($request)), $request);
        } else {
            $unknown = array_diff(array_map('strval', array_keys($request)), $keys);
            if ($unknown !== []) {
                throw self::invalid(sprintf(
                    'callMany(): request %s has the unknown key "%s"; the keys are: %s',
                    $key,
                    (string) reset($unknown),
                    implode(', ', $keys)
                ));
            }
        }
        $request += ['destination' => '', 'interface' => null, 'args' => [], 'signature' => null, 'options' => []];
        foreach (['path', 'method'] as $required) {
            if (!isset($request[$required]) || !is_string($request[$required])) {
                throw self::invalid(sprintf('callMany(): request %s needs "%s", a string', $key, $required));
            }
        }
        foreach (['destination' => false, 'interface' => true, 'signature' => true] as $name => $nullable) {
            if (!is_string($request[$name]) && !($nullable && $request[$name] === null)) {
                throw self::invalid(sprintf('callMany(): "%s" of request %s must be a string%s', $name, $key, $nullable ? ' or null' : ''));
            }
        }
        foreach (['args', 'options'] as $name) {
            if (!is_array($request[$name])) {
                throw self::invalid(sprintf('callMany(): "%s" of request %s must be an array', $name, $key));
            }
        }
        return [
            $request['destination'],
            $request['path'],
            $request['interface'],
            $request['method'],
            $request['args'],
            $request['signature'],
            $request['options'],
        ];
    }

    private static function checkWait(float $timeout): void
    {
        if (!is_finite($timeout) || $timeout < 0) {
            throw self::invalid(sprintf('A wait must be a finite number of seconds of 0 or more, %s given', (string) $timeout));
        }
    }

    private static function invalid(string $message): InvalidArgumentException
    {
        return new InvalidArgumentException($message, 'net.skypebus.Error.InvalidRequest', Errors::INVALID_REQUEST);
    }

    /**
     * One call to a library function of the form f(conn, char **out, skypebus_error **err).
     */
    private function fetch(string $function): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->{$function}($this->handle(), \FFI::addr($out), \FFI::addr($error)), $error);
        return Library::takeString($this->ffi, $out);
    }

    /**
     * @param mixed $value
     * @param array<string, mixed> $options
     * @return mixed
     */
    private function properties(
        string $op,
        string $destination,
        string $path,
        string $interface,
        ?string $name,
        $value,
        ?string $signature,
        array $options
    ) {
        $checked = CallOptions::fromArray($options);
        $reply = $this->request(
            'skypebus_properties',
            Codec::encodeProperties($op, $destination, $path, $interface, $name, $value, $signature, $checked)
        );
        return $op === 'set' ? null : Codec::decodeValue($reply, $checked->typedVariants);
    }

    /**
     * One request to a library function of the form
     * f(conn, const char *request_json, char **reply_out, skypebus_error **err): skypebus_call,
     * skypebus_properties, skypebus_introspect.
     */
    private function request(string $function, string $json): string
    {
        $out = $this->ffi->new('char*');
        $error = $this->ffi->new('skypebus_error*');
        Library::check($this->ffi, $this->ffi->{$function}($this->handle(), $json, \FFI::addr($out), \FFI::addr($error)), $error);
        return Library::takeString($this->ffi, $out);
    }

    private function handle(): \FFI\CData
    {
        if ($this->handle === null) {
            throw Errors::closed();
        }
        return $this->handle;
    }
}
