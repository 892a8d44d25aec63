<?php

declare(strict_types=1);

namespace SkypeBus;

use SkypeBus\Exception\DBusException;
use SkypeBus\Exception\InvalidArgumentException;
use SkypeBus\Exception\TimeoutException;
use SkypeBus\Exception\UnknownMethodException;
use SkypeBus\Internal\CallOptions;
use SkypeBus\Internal\Calls;
use SkypeBus\Internal\CallTarget;
use SkypeBus\Internal\Errors;
use SkypeBus\Internal\ResultCode;
use SkypeBus\Internal\Introspection;
use SkypeBus\Internal\PropertyCache;
use SkypeBus\Internal\PropertyTarget;
use SkypeBus\Internal\Signature;
use SkypeBus\Internal\Values;

/**
 * An object of a peer, from Bus::proxy(): its D-Bus methods are PHP methods with the same,
 * exact names, and its D-Bus properties are PHP properties.
 *
 *     $notifications = $bus->proxy('org.freedesktop.Notifications', '/org/freedesktop/Notifications');
 *     $id = $notifications->Notify('app', 0, '', 'Hello', 'World', [], ['urgency' => new Byte(2)], -1);
 *     $battery = $bus->proxy('org.freedesktop.UPower', '/org/freedesktop/UPower/devices/DisplayDevice',
 *         'org.freedesktop.UPower.Device');
 *     echo $battery->Percentage;
 *     $player->Volume = 0.5;
 *
 * A method call returns null for no reply value, the value itself for one, a list for several.
 *
 * Arguments and property values are plain PHP values: the library types them from the peer's
 * introspection data (cached per peer and interface), so 7 passed for a "u" argument or set on a
 * "u" property is sent as "u". What introspection cannot know, the contents of a variant, is what
 * typed values are for (new Byte(2) above).
 *
 * A proxy given no interface reads the object's introspection data once, on first use, to find
 * each member's interface (name the interface to save that round trip). A method the peer does
 * not have gives an UnknownMethodException that lists the methods it has.
 *
 * Signals: $proxy->on('Changed', function (...$args) { ... }) runs the handler with the
 * arguments of each Changed signal of the object when the bus processes events
 * (Bus::process(), serve(), nextSignal()); it returns the Subscription that ends it.
 *
 * Live properties: with the option 'cacheProperties' => true, each property is read once and
 * then kept current by the object's PropertiesChanged signals (applied when the bus processes
 * events); a property the peer invalidates is read again on its next access.
 *
 * The proxy has no methods or properties of its own but on(), so no other remote name is
 * shadowed (a remote method named "on" is reached with Bus::call()).
 */
final class Proxy implements ProxyInterface
{
    /** Most call and property targets a proxy keeps (one per member name used). */
    private const TARGETS = 256;

    /** @var Bus kept so that the connection lives as long as the proxy */
    private $bus;

    /** @var Calls */
    private $calls;

    /** @var string */
    private $destination;

    /** @var string */
    private $path;

    /** @var string|null */
    private $interface;

    /** @var CallOptions the options of every method call */
    private $options;

    /** @var CallOptions the same for property requests, without 'noReply' (which would lose the value) */
    private $propertyOptions;

    /** @var array<string, CallTarget> method name => its target, made on first use */
    private $targets = [];

    /** @var array<string, PropertyTarget> property name => its target, made on first use */
    private $properties = [];

    /** @var array<string, string> method name => the signature the proxy was given for it */
    private $signatures;

    /** @var Introspection|false|null the data, false when unavailable, null before the first look */
    private $introspection;

    /** @var PropertyCache|null the live property values ('cacheProperties') */
    private $cache;

    /**
     * Use Bus::proxy().
     *
     * @internal
     */
    public function __construct(
        Bus $bus,
        Calls $calls,
        string $destination,
        string $path,
        ?string $interface,
        CallOptions $options,
        array $signatures = [],
        bool $cacheProperties = false
    ) {
        $this->signatures = $signatures;
        if ($cacheProperties) {
            $this->cache = new PropertyCache($bus, $destination, $path, $options->typedVariants);
        }
        $this->bus = $bus;
        $this->calls = $calls;
        $this->destination = $destination;
        $this->path = $path;
        $this->interface = $interface;
        $this->options = $options;
        $this->propertyOptions = $options->withReply();
    }

    /**
     * Calls the remote method $name.
     *
     * @param list<mixed> $args
     * @return mixed null, the one reply value, or the list of reply values
     * @throws DBusException|InvalidArgumentException
     */
    public function __call(string $name, array $args)
    {
        if ($args !== [] && is_string(array_key_last($args))) {
            $args = $this->namedArguments($name, $args);
        }
        try {
            $target = $this->targets[$name] ?? null;
            if ($target !== null) {
                $values = $this->calls->call($target, $args, $this->options);
            } else {
                // The first call may read the introspection data: that spends the call's timeout.
                $started = microtime(true);
                $target = $this->callTarget($name);
                $options = $this->optionsAfter($started);
                try {
                    $values = $this->calls->call($target, $args, $options);
                } catch (TimeoutException $e) {
                    if ($options === $this->options) {
                        throw $e;
                    }
                    throw Errors::exceptionFor(ResultCode::TIMEOUT, $e->getErrorName(), sprintf(
                        "no reply within %d ms (local timeout), %d ms of it spent reading the peer's introspection data",
                        (int) $this->options->timeoutMs,
                        (int) $this->options->timeoutMs - (int) $options->timeoutMs
                    ));
                }
            }
        } catch (UnknownMethodException $e) {
            throw $this->explainUnknownMethod($e, $name);
        }
        return Values::proxyResult($values);
    }

    /**
     * Reads the remote property $name.
     *
     * @return mixed
     */
    public function __get(string $name)
    {
        $target = $this->properties[$name] ?? $this->propertyTarget($name);
        if ($this->cache !== null) {
            return $this->cache->get($target->interface, $name, function () use ($target) {
                return $this->calls->getProperty($target, $this->propertyOptions);
            });
        }
        return $this->calls->getProperty($target, $this->propertyOptions);
    }

    /**
     * Sets the remote property $name; a plain PHP value is sent as the property's declared type.
     *
     * @param mixed $value
     */
    public function __set(string $name, $value): void
    {
        $target = $this->properties[$name] ?? $this->propertyTarget($name);
        if ($this->cache !== null) {
            $this->cache->forget($target->interface, $name);
        }
        $this->calls->setProperty($target, $value, null, $this->propertyOptions);
    }

    /**
     * Runs $handler with the arguments of each signal $signal of this object (from the
     * proxy's destination, in the proxy's interface, else the one interface of the
     * introspection data that declares the signal) when the bus processes events:
     * Bus::process(), serve(), nextSignal(). Returns the Subscription that ends it.
     *
     *     $device->on('StateChanged', function (int $new, int $old, int $reason): void { ... });
     *
     * Moves a shared Bus to a private connection (see Bus).
     *
     * @throws InvalidArgumentException|Exception\SkypeBusException
     */
    public function on(string $signal, callable $handler): Subscription
    {
        $interface = $this->interface;
        if ($interface === null) {
            $introspection = $this->introspection();
            $interface = $introspection !== null ? $introspection->signalInterface($signal) : null;
            if ($interface === null) {
                throw Errors::invalid(sprintf(
                    '%s at %s %s no signal "%s": name its interface in Bus::proxy()',
                    $this->destination,
                    $this->path,
                    $introspection !== null ? 'declares' : 'gives no introspection data, so it declares',
                    $signal
                ));
            }
        }
        $match = ['path' => $this->path, 'interface' => $interface, 'member' => $signal];
        if ($this->destination !== '') {
            $match['sender'] = $this->destination;
        }
        if ($this->options->typedVariants) {
            $match['variants'] = 'typed';
        }
        return $this->bus->listen($match, static function (Signal $signal) use ($handler): void {
            $handler(...$signal->getArgs());
        });
    }

    /** True when the object has the property (by its introspection data, else by reading it). */
    public function __isset(string $name): bool
    {
        $introspection = $this->introspection();
        if ($introspection !== null) {
            return $introspection->findProperty($name, $this->interface) !== null;
        }
        try {
            $this->__get($name);
            return true;
        } catch (DBusException $e) {
            return false;
        } catch (InvalidArgumentException $e) {
            return false;
        }
    }

    /**
     * What print_r() and var_dump() show: the object it stands for and its options, not FFI
     * internals. (A method of PHP's own, so it shadows no D-Bus name: D-Bus names cannot start
     * with "__".)
     *
     * @return array<string, mixed>
     */
    public function __debugInfo(): array
    {
        return [
            'destination' => $this->destination,
            'path' => $this->path,
            'interface' => $this->interface,
            'timeout' => $this->options->timeoutMs !== null ? $this->options->timeoutMs / 1000 : null,
            'variants' => $this->options->typedVariants ? 'typed' : 'plain',
            'noReply' => $this->options->noReply,
            'cacheProperties' => $this->cache !== null,
            'bus' => $this->bus,
        ];
    }

    /**
     * @return never
     */
    public function __unset(string $name): void
    {
        throw new \LogicException('D-Bus properties cannot be unset');
    }

    /**
     * The interface of a method: the proxy's, else the one the introspection data names (many
     * peers, GDBus ones among them, refuse calls without an interface), else none.
     */
    private function methodInterface(string $name): ?string
    {
        if ($this->interface !== null) {
            return $this->interface;
        }
        $introspection = $this->introspection();
        return $introspection !== null ? $introspection->methodInterface($name) : null;
    }

    /**
     * The interface of a property: the proxy's, else the one the introspection data names.
     *
     * @throws InvalidArgumentException when neither says
     */
    private function propertyInterface(string $name): string
    {
        if ($this->interface !== null) {
            return $this->interface;
        }
        $introspection = $this->introspection();
        $found = $introspection !== null ? $introspection->findProperty($name, null) : null;
        if ($found === null) {
            throw new InvalidArgumentException(
                sprintf(
                    '%s at %s %s no property "%s": name its interface in Bus::proxy()',
                    $this->destination,
                    $this->path,
                    $introspection !== null ? 'declares' : 'gives no introspection data, so it declares',
                    $name
                ),
                'net.skypebus.Error.InvalidRequest',
                ResultCode::INVALID_REQUEST
            );
        }
        return $found['interface'];
    }

    /** The target of the method $name, made once. */
    private function callTarget(string $name): CallTarget
    {
        if (count($this->targets) >= self::TARGETS) {
            $this->targets = [];
        }
        $signature = $this->signatures[$name] ?? null;
        return $this->targets[$name] = new CallTarget($this->destination, $this->path, $this->methodInterface($name), $name, $signature);
    }

    /**
     * The checked 'signatures' option of Bus::proxy(): method name => argument signature.
     *
     * @internal
     * @param mixed $signatures
     * @return array<string, string>
     * @throws InvalidArgumentException
     */
    public static function signatures($signatures): array
    {
        if (!is_array($signatures)) {
            throw Errors::invalid(sprintf('The proxy option "signatures" must be an array of method name => signature, %s given', Values::describe($signatures)));
        }
        foreach ($signatures as $method => $signature) {
            if (!is_string($method) || !is_string($signature)) {
                throw Errors::invalid(sprintf(
                    'The proxy option "signatures" maps method names to signature strings (["SetTimezone" => "sb"]); %s => %s given',
                    is_string($method) ? '"' . $method . '"' : Values::describe($method),
                    is_string($signature) ? '"' . $signature . '"' : Values::describe($signature)
                ));
            }
            Signature::split($signature);
        }
        return $signatures;
    }

    /**
     * The checked 'cacheProperties' option of Bus::proxy().
     *
     * @internal
     * @param mixed $value
     * @throws InvalidArgumentException
     */
    public static function cacheOption($value): bool
    {
        if (!is_bool($value)) {
            throw Errors::invalid(sprintf('The proxy option "cacheProperties" must be a bool, %s given', Values::describe($value)));
        }
        return $value;
    }

    /** The target of the property $name, made once. */
    private function propertyTarget(string $name): PropertyTarget
    {
        $interface = $this->propertyInterface($name);
        if (count($this->properties) >= self::TARGETS) {
            $this->properties = [];
        }
        return $this->properties[$name] = new PropertyTarget($this->destination, $this->path, $interface, $name);
    }

    /**
     * The call options with what is left of the timeout after the work since $started (reading
     * the introspection data), so that one deadline covers both.
     *
     * @throws TimeoutException when nothing is left
     */
    private function optionsAfter(float $started): CallOptions
    {
        $timeoutMs = $this->options->timeoutMs;
        $spentMs = (int) ceil((microtime(true) - $started) * 1000);
        if ($timeoutMs === null || $spentMs <= 1) {
            return $this->options;
        }
        if ($spentMs >= $timeoutMs) {
            throw Errors::exceptionFor(ResultCode::TIMEOUT, 'org.freedesktop.DBus.Error.NoReply', sprintf(
                "no reply within %d ms (local timeout), spent reading the peer's introspection data",
                $timeoutMs
            ));
        }
        return $this->options->withTimeoutMs($timeoutMs - $spentMs);
    }

    /**
     * The object's introspection data, read once; null when the peer gives none.
     *
     * @throws TimeoutException when the peer did not answer within the proxy's timeout (the
     *                          call's deadline has passed then; the next call tries again)
     */
    private function introspection(): ?Introspection
    {
        if ($this->introspection === null) {
            try {
                $this->introspection = new Introspection($this->calls->introspect($this->destination, $this->path, $this->options->timeoutMs));
            } catch (TimeoutException $e) {
                throw Errors::exceptionFor(ResultCode::TIMEOUT, $e->getErrorName(), sprintf(
                    "no reply within %d ms (local timeout), spent reading the peer's introspection data",
                    (int) $this->options->timeoutMs
                ));
            } catch (DBusException $e) {
                // Not introspectable, or not reachable: the calls themselves will say so.
                $this->introspection = false;
            }
        }
        return $this->introspection === false ? null : $this->introspection;
    }

    /**
     * PHP 8 named arguments ($proxy->Method(name: 'x')) in the order of the method's
     * in-arguments in the introspection data.
     *
     * @param array<int|string, mixed> $args positional ones first, then named ones
     * @return list<mixed>
     * @throws InvalidArgumentException when the names cannot be mapped
     */
    private function namedArguments(string $method, array $args): array
    {
        $introspection = $this->introspection();
        $info = $introspection !== null ? $introspection->method($method, $this->interface) : null;
        if ($info === null) {
            throw Errors::invalid(sprintf(
                'named arguments need the peer\'s introspection data to know their order, and %s at %s %s: '
                . 'pass the arguments in order',
                $this->destination,
                $this->path,
                $introspection === null ? 'gives none' : sprintf('declares no method "%s"', $method)
            ));
        }
        if ($info['in'] !== [] && array_filter(array_column($info['in'], 'name'), 'is_string') === []) {
            throw Errors::invalid(sprintf(
                'named arguments need names, and the introspection data of %s at %s gives none to the arguments of %s(): '
                . 'pass the arguments in order',
                $this->destination,
                $this->path,
                $method
            ));
        }
        $signature = implode(', ', array_map(static function (array $arg): string {
            return ($arg['name'] ?? '?') . ' (' . $arg['type'] . ')';
        }, $info['in']));
        $names = array_flip(array_filter(array_column($info['in'], 'name'), 'is_string'));
        foreach (array_keys($args) as $key) {
            if (is_string($key) && !isset($names[$key])) {
                throw Errors::invalid(sprintf('%s() has no argument named "%s"; its arguments are: %s', $method, $key, $signature === '' ? 'none' : $signature));
            }
            if (is_int($key) && $key >= count($info['in'])) {
                throw Errors::invalid(sprintf('%s() takes %d argument(s): %s', $method, count($info['in']), $signature));
            }
        }
        $ordered = [];
        foreach ($info['in'] as $i => $arg) {
            $argName = $arg['name'];
            $named = $argName !== null && array_key_exists($argName, $args);
            if ($named && array_key_exists($i, $args)) {
                throw Errors::invalid(sprintf('%s(): the argument "%s" is given by position and by name', $method, $argName));
            }
            if (!$named && !array_key_exists($i, $args)) {
                throw Errors::invalid(sprintf('%s() needs its argument "%s" (%s); its arguments are: %s', $method, $argName ?? '#' . $i, $arg['type'], $signature));
            }
            $ordered[] = $named ? $args[$argName] : $args[$i];
        }
        return $ordered;
    }

    private function explainUnknownMethod(UnknownMethodException $e, string $name): UnknownMethodException
    {
        $introspection = $this->introspection();
        if ($introspection === null) {
            return $e;
        }
        $known = $introspection->methodNames($this->interface);
        $closest = self::closest($name, $known);
        return new UnknownMethodException(
            $e->getErrorName(),
            sprintf(
                '%s (%s at %s has no method "%s"%s;%s its methods are: %s)',
                $e->getMessage(),
                $this->destination,
                $this->path,
                $name,
                $this->interface !== null ? ' in ' . $this->interface : '',
                $closest !== null ? sprintf(' did you mean "%s"?', $closest) : '',
                $known === [] ? 'none' : implode(', ', $known)
            ),
            $e->getCode(),
            $e
        );
    }

    /**
     * The member of $known ("Interface.Member") whose name is nearest to $name, if one is near
     * enough to be a typo (a different case, or a few letters apart).
     *
     * @param list<string> $known
     */
    private static function closest(string $name, array $known): ?string
    {
        $best = null;
        $bestDistance = max(2, intdiv(strlen($name), 3)) + 1;
        foreach ($known as $qualified) {
            $member = substr($qualified, (int) strrpos($qualified, '.') + 1);
            $distance = strcasecmp($member, $name) === 0 ? 0 : levenshtein(strtolower($member), strtolower($name));
            if ($distance < $bestDistance) {
                $best = $member;
                $bestDistance = $distance;
            }
        }
        return $best;
    }
}
