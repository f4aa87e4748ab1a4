/// The gateway's own page templates (Mustache); the layout, login, password and parameter form are the station's
/// (``WebTemplates``), so both products look and work alike. Texts whose key has more than one dot
/// (`gw.field.mode`) cannot be looked up as `{{t.…}}` and come in the page's context instead.
enum GatewayTemplates {
    /// Diagnostic (seeds/003 §2.2 step 8): the communication state on both sides, OCPP and Modbus.
    static let diagnostic = """
    <h1>{{t.gw.diagnostic}} <a class="button small" href="/" id="refresh">{{t.gw.refresh}}</a></h1>
    {{#failure}}<p class="alert error" role="alert" id="service-failure">{{t.gw.failure}} {{failure}}</p>{{/failure}}
    {{#d}}
    <div class="grid">
      <section class="card" id="s-ocpp">
        <h2>{{t.gw.ocppSide}}</h2>
        <dl class="facts">
          <dt>{{labels.mode}}</dt><dd id="d-mode">{{mode}}</dd>
          <dt>{{t.gw.endpoint}}</dt><dd class="mono" id="d-endpoint">{{endpoint}}</dd>
          {{#external}}<dt>{{labels.externalURL}}</dt><dd class="mono" id="d-external">{{external}}</dd>{{/external}}
          <dt>{{t.gw.chargersConnected}}</dt><dd id="d-connected">{{connected}}</dd>
          <dt>{{t.gw.runningSince}}</dt><dd>{{startedAt}}</dd>
        </dl>
      </section>
      <section class="card" id="s-modbus">
        <h2>{{t.gw.modbusSide}}</h2>
        <dl class="facts">
          <dt>{{labels.modbusTCP}}</dt><dd id="d-tcp">{{tcp}}</dd>
          <dt>{{labels.modbusRTU}}</dt><dd id="d-rtu">{{rtu}}</dd>
          <dt>{{t.gw.bmsHeartbeat}}</dt><dd><span class="dot" data-on="{{bmsOnlineFlag}}"></span> <span id="d-bms">{{bms}}</span></dd>
          <dt>{{t.gw.gatewayTime}}</dt><dd id="d-time">{{gatewayTime}}</dd>
          <dt>{{t.gw.requests}}</dt><dd id="d-requests">{{requests}}</dd>
          <dt>{{t.gw.lastRequest}}</dt><dd class="mono" id="d-last-request">{{lastRequest}}</dd>
          {{#lastException}}<dt>{{t.gw.lastException}}</dt><dd class="mono" id="d-last-exception">{{lastException}}</dd>{{/lastException}}
        </dl>
      </section>
    </div>
    <section class="card" id="s-chargers">
      <h2>{{t.gw.chargers}}</h2>
      <div class="scroll">
      <table class="table" id="d-chargers">
        <thead><tr><th>ChargerID</th><th>{{t.gw.slot}}</th><th class="num">{{t.gw.connectors}}</th><th>OCPP</th><th>{{t.gw.since}}</th>
          {{#isExternal}}<th>{{t.gw.upstream}}</th>{{/isExternal}}<th class="num">{{t.gw.waiting}}</th><th></th></tr></thead>
        <tbody>
        {{#chargers}}<tr data-charger="{{id}}"><td class="mono">{{id}}</td><td>{{slot}}</td><td class="num">{{connectors}}</td>
          <td><span class="dot" data-on="{{connectedFlag}}"></span> <span class="state">{{state}}</span></td><td class="nowrap">{{since}}</td>
          {{#isExternal}}<td class="upstream">{{upstream}}</td>{{/isExternal}}<td class="num">{{waiting}}</td>
          <td>{{#hasFrames}}<a href="{{framesHref}}">{{t.gw.frames}}</a>{{/hasFrames}}</td></tr>{{/chargers}}
        {{^hasChargers}}<tr><td colspan="8" class="muted">{{t.gw.noChargers}}</td></tr>{{/hasChargers}}
        </tbody>
      </table>
      </div>
      {{#moreUnconfigured}}<p class="muted small" id="d-more">{{moreUnconfigured}}</p>{{/moreUnconfigured}}
    </section>
    <section class="card" id="s-events">
      <h2>{{t.gw.events}}</h2>
      <div class="scroll">
      <table class="table" id="d-events">
        <thead><tr><th>{{t.gw.time}}</th><th></th><th>ChargerID</th><th>{{t.gw.message}}</th></tr></thead>
        <tbody>
        {{#events}}<tr><td class="nowrap">{{at}}</td><td><span class="badge {{levelClass}}">{{level}}</span></td><td class="mono">{{charger}}</td><td>{{message}}</td></tr>{{/events}}
        {{^hasEvents}}<tr><td colspan="4" class="muted">{{t.gw.noEvents}}</td></tr>{{/hasEvents}}
        </tbody>
      </table>
      </div>
    </section>
    {{/d}}
    """

    /// The newest frames of one charger, newest first.
    static let frames = """
    <h1>{{t.gw.frames}} · <span class="mono" id="f-charger">{{charger}}</span> <a class="button small" href="{{href}}" id="refresh">{{t.gw.refresh}}</a></h1>
    <p><a href="/">← {{t.gw.diagnostic}}</a> · <span class="muted">{{note}}</span></p>
    <section class="card">
      <div class="scroll">
      <table class="table" id="f-table">
        <thead><tr><th>{{t.gw.time}}</th><th>{{t.gw.direction}}</th><th>{{t.gw.frame}}</th></tr></thead>
        <tbody>
        {{#frames}}<tr class="{{direction}}"><td class="nowrap">{{at}}</td><td class="nowrap">{{label}}</td>
          <td><pre class="frame-text">{{text}}</pre>{{#omitted}}<span class="muted small">{{omitted}}</span>{{/omitted}}</td></tr>{{/frames}}
        {{^hasFrames}}<tr><td colspan="3" class="muted">{{t.gw.noFrames}}</td></tr>{{/hasFrames}}
        </tbody>
      </table>
      </div>
    </section>
    """

    /// The transactions the gateway recorded, newest first.
    static let transactions = """
    <h1>{{t.gw.transactions}}</h1>
    <section class="card">
      <div class="scroll">
      <table class="table" id="t-table">
        <thead><tr><th>{{t.hist.started}}</th><th>{{t.hist.stopped}}</th><th>ChargerID</th><th>{{t.dash.connector}}</th><th>{{t.hist.transaction}}</th>
          <th>{{t.wl.id}}</th><th>{{t.gw.status}}</th><th class="num">{{t.dash.energy}}</th><th>{{t.hist.reason}}</th><th>{{t.gw.decidedBy}}</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td class="nowrap">{{started}}</td><td class="nowrap">{{stopped}}</td><td class="mono">{{charger}}</td><td>{{connector}}</td>
          <td>{{transaction}}</td><td class="mono">{{idTag}}</td><td>{{status}}</td><td class="num">{{energy}}</td><td>{{reason}}</td><td>{{decidedBy}}</td></tr>{{/rows}}
        {{^hasRows}}<tr><td colspan="10" class="muted">{{t.hist.empty}}</td></tr>{{/hasRows}}
        </tbody>
      </table>
      </div>
      <p class="muted small">{{note}}</p>
    </section>
    """

    /// A settings page: the alerts, the note that saving restarts the services, the fields (the station's
    /// parameter form).
    static let settings = """
    <h1>{{menuLabel}}</h1>
    {{#saved}}<p class="alert success" role="status" id="saved">{{t.gw.saved}}</p>{{/saved}}
    {{#hasErrors}}<p class="alert error" role="alert" id="form-errors">{{t.form.errors}}</p>{{/hasErrors}}
    {{#otherErrors}}<p class="field-error">{{.}}</p>{{/otherErrors}}
    {{#readonlyNote}}<p class="alert info" id="readonly-note">{{readonlyNote}}</p>{{/readonlyNote}}
    <p class="muted small">{{t.gw.restartNote}}</p>
    {{> parameterForm}}
    """

    /// OCPP chargers (seeds/003 §2.2 step 4): the configured chargers by register slot, a new one, and the OCPP scan.
    static let chargers = """
    <h1>{{heading}}</h1>
    {{#saved}}<p class="alert success" role="status" id="saved">{{t.gw.saved}}</p>{{/saved}}
    {{#hasErrors}}<p class="alert error" role="alert" id="form-errors">{{t.form.errors}}</p>{{/hasErrors}}
    {{#readonlyNote}}<p class="alert info" id="readonly-note">{{readonlyNote}}</p>{{/readonlyNote}}
    <p class="muted small">{{t.gw.restartNote}}</p>
    <form method="post" action="/settings/chargers" data-track-changes>
      <input type="hidden" name="csrf" value="{{csrf}}">
      <section class="card" id="s-configured">
        <h2>{{t.gw.configured}}</h2>
        <p class="muted small">{{t.gw.chargersHelp}}</p>
        {{#listError}}<p class="field-error" id="e-chargers">{{listError}}</p>{{/listError}}
        <div class="scroll">
        <table class="table" id="c-table">
          <thead><tr><th>{{t.gw.slot}}</th><th>{{t.gw.registers}}</th><th>ChargerID</th><th>{{t.gw.connectors}}</th><th>{{t.gw.remove}}</th></tr></thead>
          <tbody>
          {{#rows}}<tr data-slot="{{slot}}"><td>{{slot}}</td><td class="mono">{{registers}}</td>
            <td><input name="id.{{slot}}" id="c-id-{{slot}}" value="{{id}}" aria-label="ChargerID {{slot}}"{{#readonly}} disabled{{/readonly}}>{{#error}}<p class="field-error" id="e-id-{{slot}}">{{error}}</p>{{/error}}</td>
            <td><select name="connectors.{{slot}}" id="c-connectors-{{slot}}" aria-label="{{t.gw.connectors}} {{slot}}"{{#readonly}} disabled{{/readonly}}>{{#connectorChoices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/connectorChoices}}</select></td>
            <td><input type="checkbox" name="remove.{{slot}}" id="c-remove-{{slot}}" aria-label="{{t.gw.remove}} {{slot}}"{{#removeChecked}} checked{{/removeChecked}}{{#readonly}} disabled{{/readonly}}></td></tr>{{/rows}}
          {{^hasRows}}<tr><td colspan="5" class="muted">{{t.gw.noneConfigured}}</td></tr>{{/hasRows}}
          </tbody>
        </table>
        </div>
      </section>
      {{#canAdd}}
      <section class="card" id="s-add">
        <h2>{{t.gw.add}}</h2>
        <div class="param{{#newError}} invalid{{/newError}}">
          <label for="c-new-id">ChargerID</label>
          <div class="control"><input name="new.id" id="c-new-id" value="{{newId}}" placeholder="{{t.gw.newPlaceholder}}"{{#readonly}} disabled{{/readonly}}></div>
          {{#newError}}<p class="field-error" id="e-new-id">{{newError}}</p>{{/newError}}
        </div>
        <div class="param">
          <label for="c-new-slot">{{t.gw.slot}}</label>
          <div class="control"><select name="new.slot" id="c-new-slot"{{#readonly}} disabled{{/readonly}}>{{#freeSlots}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/freeSlots}}</select></div>
        </div>
        <div class="param">
          <label for="c-new-connectors">{{t.gw.connectors}}</label>
          <div class="control"><select name="new.connectors" id="c-new-connectors"{{#readonly}} disabled{{/readonly}}>{{#newConnectorChoices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/newConnectorChoices}}</select></div>
        </div>
      </section>
      {{/canAdd}}
      <div class="actions sticky">
        <span class="unsaved" data-unsaved hidden>{{t.form.unsaved}}</span>
        <button type="reset" class="secondary" id="reset">{{t.form.reset}}</button>
        <button type="submit" class="primary" id="save"{{#readonly}} disabled{{/readonly}}>{{t.form.save}}</button>
      </div>
    </form>
    <section class="card" id="s-scan">
      <h2>{{t.gw.scan}}</h2>
      <p class="muted small">{{t.gw.scanHelp}}</p>
      <div class="scroll">
      <table class="table" id="scan-table">
        <thead><tr><th>ChargerID</th><th>{{t.gw.remote}}</th><th>{{t.gw.firstSeen}}</th><th>{{t.gw.lastSeen}}</th><th class="num">{{t.gw.attempts}}</th><th></th></tr></thead>
        <tbody>
        {{#scans}}<tr data-scan="{{id}}"><td class="mono">{{id}}</td><td class="mono">{{remote}}</td><td class="nowrap">{{firstSeen}}</td><td class="nowrap">{{lastSeen}}</td>
          <td class="num">{{attempts}}</td>
          <td class="nowrap">{{^readonly}}
            {{#canAdd}}<form method="post" action="/settings/chargers/accept" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}">
              <select name="connectors" aria-label="{{t.gw.connectors}}">{{#newConnectorChoices}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/newConnectorChoices}}</select>
              <button type="submit" class="small" data-accept="{{id}}">{{t.gw.accept}}</button>
            </form>{{/canAdd}}
            <form method="post" action="/settings/chargers/dismiss" class="inline">
              <input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="id" value="{{id}}">
              <button type="submit" class="small secondary" data-dismiss="{{id}}">{{t.gw.dismiss}}</button>
            </form>
          {{/readonly}}</td></tr>{{/scans}}
        {{^hasScans}}<tr><td colspan="6" class="muted">{{t.gw.noScans}}</td></tr>{{/hasScans}}
        </tbody>
      </table>
      </div>
    </section>
    """
}
