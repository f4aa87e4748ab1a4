/// The page templates (Mustache) and static assets of the web interface. They are compiled into the binary, so the
/// station serves its pages without any file next to it and without any external asset (no CDN).
enum WebTemplates {
    static let layout = """
    <!DOCTYPE html>
    <html lang="{{lang}}">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{pageTitle}} · {{identity}} · ChargeKit</title>
    <link rel="stylesheet" href="/static/app.css">
    <script src="/static/app.js" defer></script>
    </head>
    <body>
    {{#session}}
    <header class="top">
      <button class="menu-toggle" type="button" aria-label="Menu" data-toggle-nav><span></span><span></span><span></span></button>
      <a class="brand" href="/">ChargeKit <span class="identity">{{identity}}</span></a>
      <div class="user">
        <details>
          <summary>{{account}} · {{roleLabel}}</summary>
          <div class="user-menu">
            <a href="/account/password">{{t.user.password}}</a>
            <form method="post" action="/account/language" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <label>{{t.user.language}}
                <select name="language" data-autosubmit>
                  {{#languages}}<option value="{{code}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/languages}}
                </select>
              </label>
              <noscript><button type="submit">OK</button></noscript>
            </form>
            {{#restartActions}}
            <form method="post" action="/system/restart" class="inline" data-confirm="{{t.user.restartConfirm}}">
              <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="kind" value="services">
              <button type="submit" id="restart-daemon">{{t.user.restart}}</button>
            </form>
            <form method="post" action="/system/restart" class="inline" data-confirm="{{t.user.rebootConfirm}}">
              <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="kind" value="reboot">
              <button type="submit" id="reboot-system">{{t.user.reboot}}</button>
            </form>
            {{/restartActions}}
            <form method="post" action="/logout" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}">
              <button type="submit" id="logout">{{t.user.logout}}</button>
            </form>
          </div>
        </details>
      </div>
    </header>
    <div class="frame">
    <nav class="side" id="nav">
      <ul>
      {{#menus}}
        <li class="{{#active}}active{{/active}}"><a href="{{href}}" id="{{id}}">{{label}}</a>
          {{#active}}{{#hasSections}}<ul>{{#sections}}<li><a href="#{{anchor}}">{{name}}</a></li>{{/sections}}</ul>{{/hasSections}}{{/active}}
        </li>
      {{/menus}}
      </ul>
    </nav>
    <main>
    {{{content}}}
    </main>
    </div>
    {{/session}}
    {{^session}}
    <main class="narrow">
    {{{content}}}
    </main>
    {{/session}}
    </body>
    </html>
    """

    static let login = """
    <section class="card login">
      <h1>ChargeKit</h1>
      <p class="muted">{{identity}}</p>
      <h2>{{t.login.heading}}</h2>
      {{#error}}<p class="alert error" role="alert" id="login-error">{{error}}</p>{{/error}}
      <form method="post" action="/login">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="name">{{t.login.name}}</label>
        <select id="name" name="name">
          {{#accounts}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/accounts}}
        </select>
        <label for="password">{{t.login.password}}</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
        <button type="submit" class="primary" id="login">{{t.login.submit}}</button>
      </form>
      <p class="muted small">{{t.login.hint}}</p>
    </section>
    """

    static let password = """
    <section class="card narrow-card">
      <h1>{{t.password.heading}}</h1>
      {{#forced}}<p class="alert info">{{t.password.forced}}</p>{{/forced}}
      {{#changed}}<p class="alert success" role="status">{{t.password.changed}}</p>{{/changed}}
      <form method="post" action="/account/password">
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#fields}}
        <div class="field{{#error}} invalid{{/error}}">
          <label for="{{name}}">{{label}}</label>
          <input id="{{name}}" name="{{name}}" type="password" autocomplete="{{autocomplete}}" required>
          {{#error}}<p class="field-error" id="{{name}}-error">{{error}}</p>{{/error}}
        </div>
        {{/fields}}
        <button type="submit" class="primary" id="change-password">{{t.password.submit}}</button>
      </form>
    </section>
    """

    static let parameters = """
    <h1>{{menuLabel}}</h1>
    {{> formAlerts}}
    {{> parameterForm}}
    """

    /// The alerts above a parameter form (saved, restart needed, errors).
    static let formAlerts = """
    {{#saved}}<p class="alert success" role="status" id="saved">{{t.form.saved}}{{#restart}} {{t.form.restart}}{{/restart}}</p>{{/saved}}
    {{#hasErrors}}<p class="alert error" role="alert" id="form-errors">{{t.form.errors}}</p>{{/hasErrors}}
    """

    /// A menu's parameters by section, generated from the registry.
    static let parameterForm = """
    <form method="post" action="{{action}}" class="parameters" data-track-changes>
      <input type="hidden" name="csrf" value="{{csrf}}">
      {{#sections}}
      <section class="card" id="{{anchor}}">
        <h2>{{name}}</h2>
        {{#parameters}}
        <div class="param{{#error}} invalid{{/error}}" data-key="{{key}}"{{#dependsOn}} data-depends="{{dependsOn}}" data-depends-value="{{dependsValue}}"{{/dependsOn}}{{#hidden}} hidden{{/hidden}}>
          <label for="p-{{key}}">{{label}}
            <button type="button" class="help" aria-label="Help" title="Help" data-help="h-{{key}}">?</button>
          </label>
          <div class="control">
            {{#isBool}}
            <select id="p-{{key}}" name="{{key}}"{{#readonly}} disabled{{/readonly}}>
              <option value="On"{{#on}} selected{{/on}}>{{t.form.on}}</option>
              <option value="Off"{{^on}} selected{{/on}}>{{t.form.off}}</option>
            </select>
            {{/isBool}}
            {{#isChoice}}
            <select id="p-{{key}}" name="{{key}}"{{#readonly}} disabled{{/readonly}}>
              {{#choices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/choices}}
            </select>
            {{/isChoice}}
            {{#isTriple}}
            <div class="triple">
              {{#phases}}<label class="phase">{{phase}}<input id="p-{{key}}-{{phase}}" name="{{key}}.{{phase}}" value="{{value}}" inputmode="decimal"{{#readonly}} disabled{{/readonly}}></label>{{/phases}}
            </div>
            {{/isTriple}}
            {{#isSecret}}
            <input id="p-{{key}}" name="{{key}}" type="password" value="" placeholder="{{secretState}}" autocomplete="new-password"{{#readonly}} disabled{{/readonly}}>
            {{/isSecret}}
            {{#isText}}
            <input id="p-{{key}}" name="{{key}}" value="{{value}}"{{#readonly}} disabled{{/readonly}}>
            {{/isText}}
            {{#readonly}}<span class="badge">{{readonly}}</span>{{/readonly}}
            {{#restartRequired}}<span class="badge restart">{{t.form.restartBadge}}</span>{{/restartRequired}}
          </div>
          {{#error}}<p class="field-error" id="e-{{key}}">{{error}}</p>{{/error}}
          <p class="help-text" id="h-{{key}}" hidden>{{help}} <span class="muted">({{allowed}}; {{t.form.default}}: {{defaultValue}}; {{seeAlso}})</span></p>
        </div>
        {{/parameters}}
      </section>
      {{/sections}}
      <div class="actions sticky">
        <span class="unsaved" data-unsaved hidden>{{t.form.unsaved}}</span>
        <button type="reset" class="secondary" id="reset">{{t.form.reset}}</button>
        <button type="submit" class="primary" id="save">{{t.form.save}}</button>
      </div>
    </form>
    """

    /// System: versions, date and time, the log download, the System parameters and the factory reset.
    static let system = """
    <h1>{{menuLabel}}</h1>
    {{> formAlerts}}
    {{#system}}
    <div class="grid">
      <section class="card" id="s-about">
        <h2>{{t.sys.about}}</h2>
        <dl class="facts">
          <dt>{{t.sys.stationVersion}}</dt><dd id="sys-version">{{stationVersion}}</dd>
          <dt>{{t.sys.webVersion}}</dt><dd>{{webVersion}}</dd>
          <dt>{{t.sys.os}}</dt><dd id="sys-os">{{os}}</dd>
          <dt>{{t.sys.runningSince}}</dt><dd>{{startedAt}}</dd>
          {{#simulated}}<dt>{{t.sys.hardware}}</dt><dd>{{simulated}}</dd>{{/simulated}}
        </dl>
      </section>
      <section class="card" id="s-date-time">
        <h2>{{t.sys.dateTime}}</h2>
        {{#clockSet}}<p class="alert success" role="status" id="clock-set">{{t.sys.clockSet}}</p>{{/clockSet}}
        {{#clockError}}<p class="alert error" role="alert" id="clock-error">{{clockError}}</p>{{/clockError}}
        <dl class="facts">
          <dt>{{t.sys.time}}</dt><dd id="sys-time">{{time}}</dd>
          <dt>{{t.sys.timezone}}</dt><dd id="sys-timezone">{{timezone}} ({{utcOffset}})</dd>
          <dt>{{t.sys.source}}</dt><dd id="sys-source">{{timeSource}}</dd>
          {{#lastSet}}<dt>{{t.sys.lastSetLabel}}</dt><dd>{{lastSet}}</dd>{{/lastSet}}
        </dl>
        {{#canSetClock}}
        <form method="post" action="/system/clock" class="stack" data-browser-time>
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="epochMs" value="">
          <label for="clock-time" data-nojs>{{t.sys.browserTime}}</label>
          <input id="clock-time" name="time" type="datetime-local" value="{{localNow}}" data-nojs>
          <button type="submit" id="clock-browser">{{t.sys.syncBrowser}}</button>
          <p class="muted small">{{t.sys.browserHelp}}</p>
        </form>
        {{/canSetClock}}
      </section>
      <section class="card" id="s-log">
        <h2>{{t.sys.log}}</h2>
        <p class="muted">{{t.sys.logHelp}}</p>
        <p><a class="button" href="/system/log.zip" id="log-download">{{t.sys.logDownload}}</a></p>
        <p class="muted small">{{t.sys.firmwareHelp}}</p>
      </section>
    </div>
    {{/system}}
    {{> parameterForm}}
    {{#system}}
    <section class="card danger-zone" id="s-factory-reset">
      <h2>{{t.sys.factoryReset}}</h2>
      <p>{{t.sys.factoryResetHelp}}</p>
      {{#resetError}}<p class="alert error" role="alert" id="reset-error">{{t.sys.resetConfirmMissing}}</p>{{/resetError}}
      {{#mayReset}}
      <form method="post" action="/system/factory-reset" data-confirm="{{t.sys.factoryResetConfirm}}">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label class="check"><input type="checkbox" name="confirm" id="reset-confirm"> {{t.sys.resetUnderstand}}</label>
        <button type="submit" class="danger" id="factory-reset">{{t.sys.factoryResetButton}}</button>
      </form>
      {{/mayReset}}
      {{^mayReset}}<span class="badge">{{resetRole}}</span>{{/mayReset}}
    </section>
    {{/system}}
    """

    /// Network: the interfaces the operating system configured and the station's network endpoints.
    static let network = """
    <h1>{{menuLabel}}</h1>
    {{> formAlerts}}
    {{#network}}
    <p class="muted">{{t.net.intro}}</p>
    <div class="grid">
      <section class="card" id="s-interfaces">
        <h2>{{t.net.interfaces}}</h2>
        <table class="table" id="net-interfaces">
          <thead><tr><th>{{t.net.interface}}</th><th>{{t.net.addresses}}</th><th>{{t.net.state}}</th></tr></thead>
          <tbody>{{#interfaces}}<tr><td class="mono">{{name}}</td><td class="mono">{{addresses}}</td><td>{{state}}</td></tr>{{/interfaces}}</tbody>
        </table>
      </section>
      <section class="card" id="s-endpoints">
        <h2>{{t.net.endpoints}}</h2>
        <dl class="facts">{{#endpoints}}<dt><a href="{{href}}">{{label}}</a></dt><dd class="mono small">{{value}}</dd>{{/endpoints}}</dl>
      </section>
    </div>
    {{/network}}
    {{#hasParameters}}{{> parameterForm}}{{/hasParameters}}
    """

    static let restarting = """
    <section class="card narrow-card">
      <h1>{{t.sys.restarting}}</h1>
      <p class="alert info" role="status" id="restarting">{{message}}</p>
      <p class="muted">{{t.sys.restartingHelp}}</p>
      <p><a href="/">{{t.menu.Dashboard}} →</a></p>
    </section>
    """

    /// The charging history with a date filter and CSV export.
    static let history = """
    <h1>{{t.nav.history}}</h1>
    <section class="card">
      <form method="get" action="/history" class="filters">
        <div class="field{{#fromError}} invalid{{/fromError}}">
          <label for="h-from">{{t.hist.from}}</label><input id="h-from" name="from" type="date" value="{{from}}">
          {{#fromError}}<p class="field-error" id="e-from">{{fromError}}</p>{{/fromError}}
        </div>
        <div class="field{{#toError}} invalid{{/toError}}">
          <label for="h-to">{{t.hist.to}}</label><input id="h-to" name="to" type="date" value="{{to}}">
          {{#toError}}<p class="field-error" id="e-to">{{toError}}</p>{{/toError}}
        </div>
        <div class="field buttons">
          <button type="submit" class="primary" id="h-filter">{{t.hist.filter}}</button>
          <a href="/history">{{t.hist.all}}</a>
        </div>
      </form>
      <p class="muted small">{{t.hist.timezone}} {{timezone}}</p>
      {{#summary}}<p id="h-summary"><strong>{{summary}}</strong>{{#export}} · <a href="{{export}}" id="h-export">{{t.hist.export}}</a>{{/export}}</p>{{/summary}}
      {{#truncated}}<p class="muted small">{{truncated}}</p>{{/truncated}}
      <div class="scroll">
      <table class="table" id="h-table">
        <thead><tr><th>{{t.hist.started}}</th><th>{{t.hist.stopped}}</th><th>{{t.dash.connector}}</th><th>{{t.wl.id}}</th><th>{{t.hist.method}}</th>
          <th class="num">{{t.hist.duration}}</th><th class="num">{{t.dash.energy}}</th><th>{{t.hist.reason}}</th><th>{{t.hist.transaction}}</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td class="nowrap">{{started}}</td><td class="nowrap">{{stopped}}</td><td>{{connector}}</td><td class="mono">{{idTag}}</td><td>{{method}}</td>
          <td class="num">{{duration}}</td><td class="num">{{energy}}</td><td>{{reason}}</td><td>{{transaction}}</td></tr>{{/rows}}
        {{^hasRows}}<tr><td colspan="9" class="muted">{{t.hist.empty}}</td></tr>{{/hasRows}}
        </tbody>
      </table>
      </div>
    </section>
    """

    /// The simulator panel (only with --simulate).
    static let simulator = """
    <h1>{{t.nav.simulator}}{{#hasTimeScale}} <span class="badge">{{timeScale}}</span>{{/hasTimeScale}}</h1>
    <p class="muted">{{t.sim.intro}}</p>
    {{#notice}}<p class="alert success" role="status" id="notice">{{notice}}</p>{{/notice}}
    {{#error}}<p class="alert error" role="alert" id="error">{{error}}</p>{{/error}}
    <div class="grid">
      {{#connectors}}
      <section class="card" data-sim-connector="{{id}}">
        <h2>{{t.dash.connector}} {{id}} <span class="badge">{{status}}</span></h2>
        {{#vehicle}}
        <p id="sim-vehicle-{{id}}">{{vehicle}}</p>
        <p class="muted">{{t.dash.current}} {{current}}</p>
        <form method="post" action="/simulator/unplug" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="connector" value="{{id}}">
          <button type="submit" id="sim-unplug-{{id}}">{{t.sim.unplug}}</button>
          <button type="submit" name="force" value="1" id="sim-pull-{{id}}" title="{{t.sim.forceHelp}}">{{t.sim.force}}</button>
        </form>
        {{/vehicle}}
        {{^vehicle}}
        <form method="post" action="/simulator/plug" class="row">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="connector" value="{{id}}">
          <label class="sr-only" for="sim-ev-{{id}}">{{t.sim.vehicle}}</label>
          <select id="sim-ev-{{id}}" name="ev">{{#profiles}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/profiles}}</select>
          <button type="submit" class="primary" id="sim-plug-{{id}}">{{t.sim.plug}}</button>
        </form>
        {{/vehicle}}
        {{#hasFaults}}<p>{{t.sim.activeFaults}} {{#faults}}<span class="badge blocked">{{name}}</span> {{/faults}}</p>{{/hasFaults}}
      </section>
      {{/connectors}}
    </div>
    <div class="grid">
      <section class="card">
        <h2>{{t.sim.rfid}}</h2>
        <form method="post" action="/simulator/rfid" class="row">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <input name="uid" id="sim-uid" value="{{uid}}" placeholder="04567DAA5F3580" aria-label="{{t.sim.rfid}}" class="mono">
          <button type="submit" class="primary" id="sim-rfid">{{t.sim.present}}</button>
        </form>
      </section>
      <section class="card">
        <h2>{{t.sim.inputs}}</h2>
        {{#inputs}}
        <form method="post" action="/simulator/input" class="row">
          <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="name" value="{{name}}"><input type="hidden" name="on" value="{{next}}">
          <span class="grow">{{label}}: <strong>{{#on}}{{t.form.on}}{{/on}}{{^on}}{{t.form.off}}{{/on}}</strong></span>
          <button type="submit" id="sim-input-{{name}}">{{t.sim.toggle}}</button>
        </form>
        {{/inputs}}
      </section>
      <section class="card">
        <h2>{{t.sim.faults}}</h2>
        <form method="post" action="/simulator/fault" class="stack">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="sim-fault">{{t.sim.fault}}</label>
          <select id="sim-fault" name="fault">{{#faults}}<option value="{{name}}">{{label}}</option>{{/faults}}</select>
          <label for="sim-fault-connector">{{t.dash.connector}}</label>
          <select id="sim-fault-connector" name="connector">{{#connectorChoices}}<option value="{{id}}">{{id}}</option>{{/connectorChoices}}</select>
          <div class="row">
            <button type="submit" name="active" value="1" class="danger" id="sim-fault-on">{{t.sim.inject}}</button>
            <button type="submit" name="active" value="0" id="sim-fault-off">{{t.sim.clear}}</button>
          </div>
        </form>
        {{#stationFaults}}<p><span class="badge blocked">{{name}}</span></p>{{/stationFaults}}
      </section>
    </div>
    """

    static let dashboard = """
    <h1>{{t.menu.Dashboard}} <span class="live" id="live" title="{{t.dash.live}}"></span></h1>
    <div class="grid">
      <section class="card">
        <h2>{{t.dash.sessions}}</h2>
        <dl class="facts">
          <dt>{{t.dash.total}}</dt><dd id="sessions-total">{{summary.total}}</dd>
          <dt>{{t.dash.avgDuration}}</dt><dd id="sessions-duration">{{summary.duration}}</dd>
          <dt>{{t.dash.avgEnergy}}</dt><dd id="sessions-energy">{{summary.energy}}</dd>
          <dt>{{t.dash.lastMonth}}</dt><dd id="sessions-month">{{summary.lastMonth}}</dd>
        </dl>
      </section>
      <section class="card">
        <h2>{{t.dash.status}}</h2>
        <dl class="facts">
          <dt>{{t.dash.identity}}</dt><dd>{{identity}}</dd>
          <dt>{{t.dash.serial}}</dt><dd>{{serial}}</dd>
          <dt>{{t.dash.uptime}}</dt><dd>{{startedAt}}</dd>
        </dl>
        <h3>{{t.dash.errors}}</h3>
        <ul class="errors" id="errors">{{#errors}}<li><strong>{{id}}</strong> {{message}}</li>{{/errors}}{{^errors}}<li class="muted">{{t.dash.noErrors}}</li>{{/errors}}</ul>
      </section>
      <section class="card" id="backend">
        <h2>{{t.dash.backend}}</h2>
        {{#backend}}
        <dl class="facts">
          <dt>{{t.dash.backendUrl}}</dt><dd class="mono small">{{url}}</dd>
          <dt>{{t.dash.backendState}}</dt><dd><span class="dot" data-backend="online" data-on="{{online}}"></span> <span data-backend="state">{{state}}</span></dd>
          <dt>{{t.dash.lastHeartbeat}}</dt><dd data-backend="lastHeartbeat">{{lastHeartbeat}}</dd>
          <dt>{{t.dash.nextHeartbeat}}</dt><dd data-backend="nextHeartbeat">{{nextHeartbeat}}</dd>
          <dt>{{t.dash.queued}}</dt><dd data-backend="queued">{{queued}}</dd>
        </dl>
        {{/backend}}
        {{#noBackend}}<p class="muted">{{t.dash.noBackend}}</p>{{/noBackend}}
      </section>
    </div>
    <div class="grid">
      {{#connectors}}
      <section class="card connector" data-connector="{{id}}">
        <h2>{{t.dash.connector}} {{id}}</h2>
        <dl class="facts">
          <dt>{{t.dash.ocpp}}</dt><dd><span class="status" data-field="status">{{status}}</span></dd>
          <dt>{{t.dash.type2}}</dt><dd data-field="pilot">{{pilot}}</dd>
          <dt>{{t.dash.signaled}}</dt><dd><span data-field="signaled">{{signaled}}</span> A <span class="muted">{{t.dash.limitedBy}} <span data-field="binding">{{binding}}</span></span></dd>
          <dt>{{t.dash.current}}</dt><dd data-field="current">{{current}}</dd>
          <dt>{{t.dash.voltage}}</dt><dd data-field="voltage">{{voltage}}</dd>
          <dt>{{t.dash.power}}</dt><dd data-field="power">{{power}}</dd>
          <dt>{{t.dash.energy}}</dt><dd data-field="energy">{{energy}}</dd>
          <dt>{{t.dash.session}}</dt><dd data-field="session">{{session}}</dd>
        </dl>
      </section>
      {{/connectors}}
    </div>
    {{#dlm}}
    <section class="card">
      <h2>{{t.dash.dlm}} · {{mode}}</h2>
      <p>{{t.dash.available}} <span id="dlm-available">{{available}}</span> A · {{t.dash.applied}} <span id="dlm-applied">{{applied}}</span> A</p>
      {{#warnings}}<p class="alert error">{{.}}</p>{{/warnings}}
      {{#hasSlaves}}
      <table class="table">
        <thead><tr><th>{{t.dash.slave}}</th><th>{{t.dash.address}}</th><th>{{t.dash.ocpp}}</th><th>{{t.dash.current}}</th><th>{{t.dash.grant}}</th><th>{{t.dash.lastSeen}}</th></tr></thead>
        <tbody id="dlm-slaves">{{#slaves}}<tr><td>{{id}} <span class="badge">{{state}}</span></td><td>{{address}}</td><td>{{status}}</td><td>{{current}}</td><td>{{grant}}</td><td>{{lastSeen}}</td></tr>{{/slaves}}</tbody>
      </table>
      {{/hasSlaves}}
    </section>
    {{/dlm}}
    {{#dlmMaster}}<section class="card"><h2>{{t.dash.dlm}}</h2><p>{{t.dash.master}}: {{dlmMaster}}</p></section>{{/dlmMaster}}
    """

    static let whitelists = """
    <h1>{{t.menu.Whitelists}}</h1>
    {{#notice}}<p class="alert success" role="status" id="notice">{{notice}}</p>{{/notice}}
    {{#error}}<p class="alert error" role="alert" id="error">{{error}}</p>{{/error}}
    {{^enabled}}<p class="alert info">{{t.wl.disabled}}</p>{{/enabled}}
    <section class="card" id="s-local">
      <h2>{{t.wl.local}} <span class="badge" id="wl-count">{{count}} / {{maximum}}</span></h2>
      <form method="get" action="/whitelists" class="row">
        <input name="search" value="{{search}}" placeholder="{{t.wl.search}}" aria-label="{{t.wl.search}}" id="wl-search">
        <button type="submit">{{t.wl.searchButton}}</button>
      </form>
      <table class="table" id="wl-table">
        <thead><tr><th>{{t.wl.id}}</th><th>{{t.wl.kind}}</th><th>{{t.wl.group}}</th><th>{{t.wl.expiry}}</th><th>{{t.wl.state}}</th><th></th></tr></thead>
        <tbody>
        {{#entries}}
          <tr data-id="{{id}}"><td class="mono">{{id}}</td><td>{{kind}}</td><td>{{group}}</td><td>{{expiry}}</td>
            <td>{{#blocked}}<span class="badge blocked">{{t.wl.blocked}}</span>{{/blocked}}{{^blocked}}<span class="badge ok">{{t.wl.accepted}}</span>{{/blocked}}</td>
            <td class="actions-cell">
              <form method="post" action="/whitelists/update" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}"><input type="hidden" name="group" value="{{group}}"><input type="hidden" name="expiry" value="{{expiryField}}">
                {{#blocked}}<input type="hidden" name="authorization" value="accepted"><button type="submit" class="small" data-accept="{{id}}">{{t.wl.accept}}</button>{{/blocked}}
                {{^blocked}}<input type="hidden" name="authorization" value="blocked"><button type="submit" class="small" data-block="{{id}}">{{t.wl.block}}</button>{{/blocked}}
              </form>
              <form method="post" action="/whitelists/delete" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}"><button type="submit" class="small danger">{{t.wl.delete}}</button></form>
              <details class="edit"><summary data-edit="{{id}}">{{t.wl.edit}}</summary>
                <form method="post" action="/whitelists/update"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}">
                  <input type="hidden" name="authorization" value="{{#blocked}}blocked{{/blocked}}{{^blocked}}accepted{{/blocked}}">
                  <label>{{t.wl.group}}<input name="group" value="{{group}}" maxlength="20"></label>
                  <label>{{t.wl.expiry}} (UTC)<input name="expiry" type="datetime-local" value="{{expiryField}}" data-expiry="{{id}}"></label>
                  <button type="submit" class="small primary" data-save="{{id}}">{{t.form.save}}</button>
                </form>
              </details>
            </td></tr>
        {{/entries}}
        {{^hasEntries}}<tr><td colspan="6" class="muted">{{t.wl.empty}}</td></tr>{{/hasEntries}}
        </tbody>
      </table>
      <div class="pager">
        {{#hasPrev}}<a href="/whitelists?page={{prev}}&search={{search}}" id="wl-prev">← {{t.wl.prev}}</a>{{/hasPrev}}
        <span class="muted">{{t.wl.page}} {{page}} / {{pages}}</span>
        {{#hasNext}}<a href="/whitelists?page={{next}}&search={{search}}" id="wl-next">{{t.wl.next}} →</a>{{/hasNext}}
      </div>
      {{#hasDeleted}}
      <h3>{{t.wl.deleted}}</h3>
      <ul class="plain">{{#deleted}}<li><span class="mono">{{id}}</span>
        <form method="post" action="/whitelists/restore" class="inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}"><button type="submit" class="small">{{t.wl.restore}}</button></form></li>{{/deleted}}</ul>
      {{/hasDeleted}}
    </section>
    <div class="grid">
      <section class="card" id="s-add">
        <h2>{{t.wl.add}}</h2>
        <form method="post" action="/whitelists/add">
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#add}}
          <label for="wl-id">{{t.wl.id}}</label><input id="wl-id" name="id" value="{{id}}" required maxlength="40" class="wide" placeholder="04567DAA5F3580">
          <label for="wl-group">{{t.wl.group}}</label><input id="wl-group" name="group" value="{{group}}" maxlength="20" class="wide">
          <label for="wl-expiry">{{t.wl.expiry}} (UTC)</label><input id="wl-expiry" name="expiry" value="{{expiry}}" type="datetime-local" class="wide">
          <label class="check"><input type="checkbox" name="blocked"{{#blocked}} checked{{/blocked}}> {{t.wl.addBlocked}}</label>
          {{/add}}
          <button type="submit" class="primary" id="wl-add">{{t.wl.addButton}}</button>
        </form>
        <h3>{{t.wl.learning}}</h3>
        <p class="muted small">{{t.wl.learningHelp}}</p>
        <form method="post" action="/whitelists/learning" class="inline">
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{#learning}}<input type="hidden" name="active" value="off"><p class="alert info" id="wl-learning">{{t.wl.learningOn}}</p><button type="submit">{{t.wl.learningStop}}</button>{{/learning}}
          {{^learning}}<input type="hidden" name="active" value="on"><button type="submit" id="wl-learn">{{t.wl.learningStart}}</button>{{/learning}}
        </form>
        {{#hasLearned}}<ul class="plain">{{#learned}}<li class="mono">{{id}}</li>{{/learned}}</ul>{{/hasLearned}}
      </section>
      <section class="card" id="s-import">
        <h2>{{t.wl.import}}</h2>
        <form method="post" action="/whitelists/import" enctype="multipart/form-data">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="wl-file">{{t.wl.file}}</label><input id="wl-file" name="file" type="file" accept=".csv,text/csv,text/plain" required class="wide">
          <label class="check"><input type="radio" name="mode" value="update" checked> {{t.wl.update}}</label>
          <label class="check"><input type="radio" name="mode" value="replace"> {{t.wl.replace}}</label>
          <button type="submit" class="primary" id="wl-import">{{t.wl.importButton}}</button>
        </form>
        <h3>{{t.wl.export}}</h3>
        <p><a href="/whitelists/export?format=technagon" id="wl-export">{{t.wl.exportFull}}</a> · <a href="/whitelists/export?format=single-column">{{t.wl.exportIds}}</a></p>
        <h3>{{t.wl.deleteAll}}</h3>
        <form method="post" action="/whitelists/delete-all" class="inline" data-confirm="{{t.wl.deleteAllConfirm}}">
          <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger" id="wl-delete-all">{{t.wl.deleteAll}}</button>
        </form>
      </section>
    </div>
    <section class="card" id="s-ocpp">
      <h2>{{t.wl.ocpp}}</h2>
      {{^cacheEnabled}}<p class="alert info" id="wl-cache-off">{{t.wl.ocppOff}}</p>{{/cacheEnabled}}
      {{#cacheEnabled}}
      <form method="get" action="/whitelists#s-ocpp" class="row">
        <input name="cacheSearch" value="{{cacheSearch}}" placeholder="{{t.wl.search}}" aria-label="{{t.wl.search}}">
        <button type="submit">{{t.wl.searchButton}}</button>
      </form>
      <table class="table"><thead><tr><th>{{t.wl.id}}</th><th>{{t.wl.state}}</th><th>{{t.wl.expiry}}</th></tr></thead>
        <tbody>{{#cache}}<tr><td class="mono">{{id}}</td><td>{{status}}</td><td>{{expiry}}</td></tr>{{/cache}}
        {{^hasCache}}<tr><td colspan="3" class="muted">{{t.wl.empty}}</td></tr>{{/hasCache}}</tbody></table>
      <form method="post" action="/whitelists/cache/clear" class="inline" data-confirm="{{t.wl.deleteAllConfirm}}">
        <input type="hidden" name="csrf" value="{{csrf}}"><button type="submit" class="danger">{{t.wl.deleteAll}}</button>
      </form>
      {{/cacheEnabled}}
    </section>
    """

    static let message = """
    <section class="card narrow-card">
      <h1>{{heading}}</h1>
      <p class="alert error">{{message}}</p>
      <p><a href="{{back}}">← {{backLabel}}</a></p>
    </section>
    """

    static let css = """
    :root { --bg: #f4f6f8; --card: #fff; --ink: #1d2733; --muted: #5f6b7a; --line: #dde3ea; --brand: #0b6e4f; --brand-ink: #fff;
            --error: #b3261e; --error-bg: #fdecea; --ok: #1e6b35; --ok-bg: #e7f5ea; --info-bg: #e8f0fb; }
    * { box-sizing: border-box; }
    [hidden] { display: none !important; }
    body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
    a { color: var(--brand); }
    header.top { display: flex; align-items: center; gap: 1rem; padding: .6rem 1rem; background: var(--brand); color: var(--brand-ink); position: sticky; top: 0; z-index: 5; }
    header.top a.brand { color: var(--brand-ink); text-decoration: none; font-weight: 700; letter-spacing: .02em; }
    header.top .identity { font-weight: 400; opacity: .85; margin-left: .4rem; }
    header .user { margin-left: auto; position: relative; }
    header .user summary { cursor: pointer; list-style: none; padding: .3rem .6rem; border: 1px solid rgba(255,255,255,.4); border-radius: 6px; }
    header .user .user-menu { position: absolute; right: 0; top: 2.4rem; background: var(--card); color: var(--ink); border: 1px solid var(--line); border-radius: 8px; padding: .6rem; min-width: 14rem; box-shadow: 0 8px 24px rgba(0,0,0,.12); display: grid; gap: .5rem; }
    .menu-toggle { display: none; background: none; border: 0; padding: .3rem; }
    .menu-toggle span { display: block; width: 1.3rem; height: 2px; margin: 4px 0; background: var(--brand-ink); }
    .frame { display: flex; min-height: calc(100vh - 3rem); }
    nav.side { width: 15rem; background: var(--card); border-right: 1px solid var(--line); padding: 1rem 0; }
    nav.side ul { list-style: none; margin: 0; padding: 0; }
    nav.side > ul > li > a { display: block; padding: .55rem 1.2rem; text-decoration: none; color: var(--ink); text-transform: uppercase; font-size: .82rem; letter-spacing: .06em; font-weight: 600; }
    nav.side li.active > a { color: var(--brand); border-left: 3px solid var(--brand); background: #eef6f2; }
    nav.side li ul a { display: block; padding: .3rem 1.2rem .3rem 2rem; color: var(--muted); text-decoration: none; font-size: .9rem; }
    main { flex: 1; padding: 1.2rem 1.6rem 5rem; max-width: 72rem; }
    main.narrow { max-width: 26rem; margin: 8vh auto; }
    h1 { font-size: 1.5rem; margin: .2rem 0 1rem; }
    h2 { font-size: 1.1rem; margin: 0 0 .8rem; }
    h3 { font-size: .95rem; margin: 1rem 0 .4rem; }
    .card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 1.1rem 1.2rem; margin-bottom: 1rem; }
    .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1rem; }
    .grid .card { margin-bottom: 0; } .grid { margin-bottom: 1rem; }
    .muted { color: var(--muted); } .small { font-size: .85rem; }
    label { display: block; font-weight: 600; margin: .6rem 0 .25rem; }
    input, select { font: inherit; padding: .45rem .55rem; border: 1px solid #b9c3cf; border-radius: 6px; background: #fff; min-width: 0; }
    input:focus, select:focus { outline: 2px solid var(--brand); outline-offset: 1px; }
    .login input, .login select, .narrow-card input { width: 100%; }
    button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid #b9c3cf; background: #fff; cursor: pointer; }
    button.primary { background: var(--brand); color: var(--brand-ink); border-color: var(--brand); font-weight: 600; }
    button.secondary { background: #fff; }
    .login button.primary, .narrow-card button.primary { margin-top: 1rem; width: 100%; }
    .alert { padding: .6rem .8rem; border-radius: 6px; margin: .6rem 0; }
    .alert.error { background: var(--error-bg); color: var(--error); }
    .alert.success { background: var(--ok-bg); color: var(--ok); }
    .alert.info { background: var(--info-bg); }
    .param { display: grid; grid-template-columns: minmax(12rem, 22rem) 1fr; gap: .2rem 1rem; align-items: center; padding: .45rem 0; border-top: 1px solid var(--line); }
    .param:first-of-type { border-top: 0; }
    .param > label { margin: 0; font-weight: 500; }
    .param .control { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
    .param .control > input, .param .control > select { width: min(22rem, 100%); }
    .param.invalid input, .param.invalid select, .field.invalid input { border-color: var(--error); background: var(--error-bg); }
    .field-error { grid-column: 2; color: var(--error); margin: .1rem 0 0; font-size: .9rem; }
    .help-text { grid-column: 1 / -1; margin: .2rem 0; font-size: .9rem; background: var(--info-bg); padding: .5rem .7rem; border-radius: 6px; }
    .unit { color: var(--muted); font-weight: 400; }
    button.help { display: inline-grid; place-items: center; width: 1.2rem; height: 1.2rem; padding: 0; margin-left: .3rem; border-radius: 50%; border: 1px solid var(--brand); background: none; color: var(--brand); font-size: .75rem; font-weight: 700; line-height: 1; vertical-align: middle; }
    .triple { display: flex; gap: .5rem; } .triple .phase { display: flex; align-items: center; gap: .25rem; margin: 0; font-weight: 400; color: var(--muted); }
    .triple input { width: 5.5rem; }
    .badge { font-size: .78rem; padding: .1rem .45rem; border-radius: 999px; background: #eef1f4; color: var(--muted); white-space: nowrap; }
    .badge.restart { background: #fff4e0; color: #8a5a00; }
    .actions { display: flex; gap: .6rem; align-items: center; justify-content: flex-end; padding: .8rem 0; }
    .actions.sticky { position: sticky; bottom: 0; background: linear-gradient(transparent, var(--bg) 35%); }
    .unsaved { margin-right: auto; color: #8a5a00; font-weight: 600; }
    dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .35rem 1rem; margin: 0; }
    dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
    .status { font-weight: 700; }
    ul.errors { margin: 0; padding-left: 1.1rem; }
    .live { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: #c0c7cf; vertical-align: middle; } .live.on { background: #2fa84f; }
    table.table { width: 100%; border-collapse: collapse; } .table th, .table td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
    form.inline { margin: 0; display: inline; } form.inline label { font-weight: 500; }
    form.row { display: flex; gap: .5rem; margin-bottom: .8rem; } form.row input { flex: 1; max-width: 24rem; }
    input.wide { width: 100%; } label.check { display: flex; gap: .4rem; align-items: center; font-weight: 400; }
    .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
    pre.frame-text { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: .82rem; }
    button.small { padding: .2rem .6rem; font-size: .85rem; } button.danger { color: var(--error); border-color: #e4b6b2; }
    .badge.blocked { background: var(--error-bg); color: var(--error); } .badge.ok { background: var(--ok-bg); color: var(--ok); }
    .pager { display: flex; gap: 1rem; align-items: center; margin-top: .6rem; } ul.plain { list-style: none; padding: 0; }
    .table td form.inline button { margin: 0; }
    .dot { display: inline-block; width: .6rem; height: .6rem; border-radius: 50%; background: var(--error); vertical-align: middle; }
    .dot[data-on="1"] { background: #2fa84f; }
    a.button { display: inline-block; padding: .5rem 1rem; border-radius: 6px; border: 1px solid var(--brand); text-decoration: none; font-weight: 600; }
    form.filters { display: flex; flex-wrap: wrap; gap: .2rem 1rem; align-items: flex-end; }
    form.filters .field.buttons { display: flex; gap: 1rem; align-items: center; padding-bottom: .1rem; }
    form.filters .field-error { margin: .2rem 0 0; }
    form.stack { display: grid; gap: .3rem; } form.stack label { margin-bottom: 0; }
    .row .grow { flex: 1; align-self: center; }
    .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
    .scroll { overflow-x: auto; } .nowrap { white-space: nowrap; } .num { text-align: right; font-variant-numeric: tabular-nums; }
    .danger-zone { border-color: #e4b6b2; }
    .user-menu form.inline button { width: 100%; text-align: left; }
    details.edit summary { cursor: pointer; color: var(--brand); font-size: .85rem; }
    details.edit form { display: grid; gap: .3rem; margin-top: .4rem; min-width: 14rem; }
    @media (max-width: 760px) {
      .menu-toggle { display: block; }
      nav.side { display: none; position: fixed; inset: 3rem 0 0 0; width: auto; z-index: 4; }
      nav.side.open { display: block; }
      main { padding: 1rem; }
      .param { grid-template-columns: 1fr; }
      .field-error { grid-column: 1; }
    }
    """

    static let js = """
    // ChargeKit web interface: a little progressive enhancement. Everything works without it.
    (function () {
      function ready(fn) { if (document.readyState !== 'loading') fn(); else document.addEventListener('DOMContentLoaded', fn); }
      ready(function () {
        document.querySelectorAll('[data-toggle-nav]').forEach(function (b) {
          b.addEventListener('click', function () { document.getElementById('nav').classList.toggle('open'); });
        });
        document.querySelectorAll('[data-autosubmit]').forEach(function (s) {
          s.addEventListener('change', function () { s.form.submit(); });
        });
        document.querySelectorAll('form[data-confirm]').forEach(function (f) {
          f.addEventListener('submit', function (e) { if (!window.confirm(f.dataset.confirm)) e.preventDefault(); });
        });
        document.querySelectorAll('button.help').forEach(function (b) {
          b.addEventListener('click', function () { var h = document.getElementById(b.dataset.help); h.hidden = !h.hidden; });
        });
        // "Unsaved Changes": shown while a field differs from the value the page was loaded with.
        document.querySelectorAll('form[data-track-changes]').forEach(function (form) {
          var flag = form.querySelector('[data-unsaved]');
          function changed() {
            return Array.prototype.some.call(form.elements, function (e) {
              if (e.type === 'hidden' || !e.name) return false;
              if (e.type === 'checkbox' || e.type === 'radio') return e.checked !== e.defaultChecked;
              if (e.tagName === 'SELECT') return Array.prototype.some.call(e.options, function (o) { return o.selected !== o.defaultSelected; });
              return e.value !== e.defaultValue;
            });
          }
          function update() { flag.hidden = !changed(); dependencies(form); }
          form.addEventListener('input', update);
          form.addEventListener('change', update);
          form.addEventListener('reset', function () { setTimeout(update, 0); });
          update();
        });
        // "Browser (only once)": the form sends the browser's clock, read when the button is pressed.
        document.querySelectorAll('form[data-browser-time]').forEach(function (f) {
          f.querySelectorAll('[data-nojs]').forEach(function (el) { el.hidden = true; });
          f.addEventListener('submit', function () { f.elements.epochMs.value = String(Date.now()); });
        });
        live();
      });
      // Fields that only matter for a value of another field (e.g. the meter's address once a meter model is chosen).
      function dependencies(form) {
        form.querySelectorAll('[data-depends]').forEach(function (row) {
          var other = form.elements[row.dataset.depends];
          if (!other) return;
          var spec = row.dataset.dependsValue, except = spec.charAt(0) === '!';
          var values = (except ? spec.slice(1) : spec).split('|');
          row.hidden = (values.indexOf(other.value) >= 0) === except;
        });
      }
      // The dashboard follows the station through server-sent events.
      function live() {
        var dot = document.getElementById('live');
        if (!dot || !window.EventSource) return;
        var source = new EventSource('/live/status');
        source.addEventListener('status', function (e) {
          dot.classList.add('on');
          var s = JSON.parse(e.data);
          s.connectors.forEach(function (c) {
            var card = document.querySelector('[data-connector="' + c.id + '"]');
            if (!card) return;
            Object.keys(c.fields).forEach(function (k) {
              var el = card.querySelector('[data-field="' + k + '"]');
              if (el && el.textContent !== c.fields[k]) el.textContent = c.fields[k];
            });
          });
          var errors = document.getElementById('errors');
          if (errors) {
            errors.innerHTML = '';
            if (s.errors.length === 0) { var li = document.createElement('li'); li.className = 'muted'; li.textContent = s.noErrors; errors.appendChild(li); }
            s.errors.forEach(function (err) { var li = document.createElement('li'); var b = document.createElement('strong'); b.textContent = err.id; li.appendChild(b); li.appendChild(document.createTextNode(' ' + err.message)); errors.appendChild(li); });
          }
          ['available', 'applied'].forEach(function (k) { var el = document.getElementById('dlm-' + k); if (el && s.dlm) el.textContent = s.dlm[k]; });
          if (s.backend) {
            Object.keys(s.backend).forEach(function (k) {
              var el = document.querySelector('[data-backend="' + k + '"]');
              if (!el) return;
              if (k === 'online') el.dataset.on = s.backend[k]; else if (el.textContent !== s.backend[k]) el.textContent = s.backend[k];
            });
          }
        });
        source.onerror = function () { dot.classList.remove('on'); };
      }
    })();
    """
}
