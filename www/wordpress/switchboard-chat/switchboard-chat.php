<?php
/**
 * Plugin Name:       Switchboard Chat
 * Description:       Shows the Switchboard website chat on every page of your site. Enter your gateway address and widget ID under Settings → Switchboard Chat.
 * Version:           1.1.0
 * Requires at least: 5.7
 * Requires PHP:      7.2
 * Author:            Switchboard
 * License:           AGPL-3.0-or-later
 * License URI:       https://www.gnu.org/licenses/agpl-3.0.html
 * Text Domain:       switchboard-chat
 * Domain Path:       /languages
 *
 * @package SwitchboardChat
 */

defined( 'ABSPATH' ) || exit;

/** Name of the single option that holds both settings. */
const SWITCHBOARD_CHAT_OPTION = 'switchboard_chat';

/**
 * The saved settings, always with both keys.
 *
 * @return array{gateway: string, widget: string}
 */
function switchboard_chat_settings() {
	$saved = get_option( SWITCHBOARD_CHAT_OPTION, array() );
	$saved = is_array( $saved ) ? $saved : array();
	return array(
		'gateway' => isset( $saved['gateway'] ) ? (string) $saved['gateway'] : '',
		'widget'  => isset( $saved['widget'] ) ? (string) $saved['widget'] : '',
	);
}

/**
 * Loads the translations shipped in languages/ (compiled .mo files).
 */
function switchboard_chat_load_textdomain() {
	load_plugin_textdomain( 'switchboard-chat', false, dirname( plugin_basename( __FILE__ ) ) . '/languages' );
}
add_action( 'init', 'switchboard_chat_load_textdomain' );

/**
 * The shipped translation that stands in for a locale the plugin has no file for: every Spanish
 * locale WordPress offers (es_MX, es_AR, es_CO, es_CL, es_PE, es_VE, es_UY, es_EC, es_GT, es_CR,
 * es_DO, es_PR…) reads es_ES, and pt_PT (or any other Portuguese) reads pt_BR.
 *
 * @param string $locale A WordPress locale such as es_MX.
 * @return string The shipped locale, or '' when the language has no translation.
 */
function switchboard_chat_fallback_locale( $locale ) {
	$shipped  = array(
		'es' => 'es_ES',
		'pt' => 'pt_BR',
	);
	$language = strtolower( (string) strtok( (string) $locale, '_-' ) );
	return isset( $shipped[ $language ] ) ? $shipped[ $language ] : '';
}

/**
 * Points WordPress at a file that exists when it looks for this plugin's translation of a
 * locale: the plugin's own file for that locale if there is one, else the file of its language
 * (see switchboard_chat_fallback_locale()). Any other domain, and a file that exists (such as
 * one in wp-content/languages/plugins/), is left alone.
 *
 * @param string $mofile The .mo file WordPress is about to load.
 * @param string $domain Its text domain.
 * @return string
 */
function switchboard_chat_mofile( $mofile, $domain ) {
	if ( 'switchboard-chat' !== $domain || is_readable( $mofile ) ) {
		return $mofile;
	}
	$languages = __DIR__ . '/languages/';
	if ( is_readable( $languages . basename( $mofile ) ) ) {
		return $languages . basename( $mofile );
	}
	if ( ! preg_match( '/^switchboard-chat-([A-Za-z_]+)\.mo$/', basename( $mofile ), $found ) ) {
		return $mofile;
	}
	$fallback = switchboard_chat_fallback_locale( $found[1] );
	return '' === $fallback ? $mofile : $languages . 'switchboard-chat-' . $fallback . '.mo';
}
add_filter( 'load_textdomain_mofile', 'switchboard_chat_mofile', 10, 2 );

/**
 * The gateway address and widget ID inside a pasted snippet, such as
 * `<script async src="https://chat.example.com/widget/loader.js" data-widget="3.7"></script>`.
 *
 * @param string $text What the owner pasted into either field.
 * @return array{gateway: string, widget: string} Empty strings for what the text does not hold.
 */
function switchboard_chat_from_snippet( $text ) {
	$found = array(
		'gateway' => '',
		'widget'  => '',
	);
	if ( preg_match( '/\bsrc\s*=\s*["\']?([^"\'\s>]+)/i', $text, $src ) ) {
		$found['gateway'] = html_entity_decode( $src[1], ENT_QUOTES );
	}
	if ( preg_match( '/\bdata-widget\s*=\s*["\']?([^"\'\s>]+)/i', $text, $widget ) ) {
		$found['widget'] = html_entity_decode( $widget[1], ENT_QUOTES );
	}
	return $found;
}

/**
 * Whether a host is this computer, where plain http is fine for trying the chat out.
 *
 * @param string $host A lowercase host name or address.
 * @return bool
 */
function switchboard_chat_is_local( $host ) {
	return in_array( $host, array( 'localhost', '127.0.0.1', '[::1]' ), true ) || '.localhost' === substr( $host, -10 );
}

/**
 * Cleans what the settings form sends before WordPress stores it.
 *
 * Either field takes the whole snippet Switchboard shows: the gateway address and the widget ID
 * are read from it. The gateway address is reduced to its origin (scheme, host and port; a host
 * alone means https), and plain http is refused except on this computer. A refused value keeps
 * the saved one.
 *
 * @param mixed $input The submitted values.
 * @return array{gateway: string, widget: string}
 */
function switchboard_chat_sanitize( $input ) {
	$input   = is_array( $input ) ? $input : array();
	$clean   = switchboard_chat_settings();
	$gateway = isset( $input['gateway'] ) ? trim( (string) $input['gateway'] ) : '';
	$widget  = isset( $input['widget'] ) ? trim( (string) $input['widget'] ) : '';
	foreach ( array( $gateway, $widget ) as $pasted ) {
		if ( false !== stripos( $pasted, 'data-widget' ) ) {
			$snippet = switchboard_chat_from_snippet( $pasted );
			$gateway = $snippet['gateway'];
			$widget  = $snippet['widget'];
			break;
		}
	}

	if ( '' !== $gateway && false === strpos( $gateway, '://' ) ) {
		$gateway = 'https://' . $gateway; // "chat.example.com" means https
	}
	$url   = '' === $gateway ? '' : esc_url_raw( $gateway, array( 'https', 'http' ) );
	$parts = '' === $url ? array() : wp_parse_url( $url );
	if ( '' === $gateway ) {
		$clean['gateway'] = '';
	} elseif ( empty( $parts['scheme'] ) || empty( $parts['host'] ) ) {
		add_settings_error( SWITCHBOARD_CHAT_OPTION, 'switchboard-chat-gateway', __( 'The gateway URL is not a valid web address. Example: https://chat.example.com', 'switchboard-chat' ) );
	} else {
		$scheme = strtolower( $parts['scheme'] );
		$host   = strtolower( $parts['host'] );
		if ( 'http' === $scheme && ! switchboard_chat_is_local( $host ) ) {
			add_settings_error( SWITCHBOARD_CHAT_OPTION, 'switchboard-chat-http', __( 'The gateway URL must start with https://. Browsers block a chat loaded over plain http:// on a secure site, and visitors\' messages would travel unencrypted. Only an address on this computer (localhost) may use http://.', 'switchboard-chat' ) );
		} else {
			$clean['gateway'] = $scheme . '://' . $host . ( isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '' );
		}
	}

	$clean['widget'] = (string) preg_replace( '/\s+/', '', sanitize_text_field( $widget ) );
	return $clean;
}

/**
 * Asks the gateway, from the server, for the widget's settings as a page of this site would.
 *
 * @param string $gateway The gateway's origin.
 * @param string $widget  The widget ID.
 * @return array{0: string, 1: string} The outcome (`works`, `no_widget`, `site_refused`,
 *                                     `unreachable`, `not_a_gateway`) and a detail for the owner.
 */
function switchboard_chat_check( $gateway, $widget ) {
	$site     = wp_parse_url( home_url() );
	$origin   = $site['scheme'] . '://' . $site['host'] . ( isset( $site['port'] ) ? ':' . $site['port'] : '' );
	$response = wp_remote_get(
		$gateway . '/widget/v1/' . rawurlencode( $widget ) . '/config',
		array(
			'timeout'     => 10,
			'redirection' => 0,
			'headers'     => array( 'Origin' => $origin ),
		)
	);
	if ( is_wp_error( $response ) ) {
		return array( 'unreachable', $response->get_error_message() );
	}
	$status = (int) wp_remote_retrieve_response_code( $response );
	$body   = json_decode( wp_remote_retrieve_body( $response ), true );
	$code   = is_array( $body ) && isset( $body['error']['code'] ) ? (string) $body['error']['code'] : '';
	if ( 200 === $status && is_array( $body ) && isset( $body['launcher'] ) ) {
		return array( 'works', $origin );
	}
	if ( 'no_widget' === $code ) {
		return array( 'no_widget', $widget );
	}
	if ( 'origin_not_allowed' === $code ) {
		return array( 'site_refused', $origin );
	}
	return array( 'not_a_gateway', (string) $status );
}

/**
 * What the connection check found, in the owner's language, with what to do about it.
 *
 * @param array{0: string, 1: string} $outcome What switchboard_chat_check() found.
 * @return array{0: string, 1: bool} The text, and whether the chat works.
 */
function switchboard_chat_describe( $outcome ) {
	list( $what, $detail ) = $outcome;
	switch ( $what ) {
		case 'works':
			/* translators: %s: this site's address, such as https://example.com */
			return array( sprintf( __( 'Connection tested: the widget exists and allows this site (%s). The chat is shown on every page; open your site in a private window to see it as a visitor does.', 'switchboard-chat' ), $detail ), true );
		case 'no_widget':
			/* translators: %s: the widget ID the owner entered */
			return array( sprintf( __( 'Switchboard has no website chat with the widget ID %s. Copy the snippet again from your website chat channel in Switchboard and paste it here.', 'switchboard-chat' ), $detail ), false );
		case 'site_refused':
			/* translators: %s: this site's address, such as https://example.com */
			return array( sprintf( __( 'The widget exists but does not allow this site yet. In Switchboard, add %s to the allowed origins of your website chat channel, then reload this page.', 'switchboard-chat' ), $detail ), false );
		case 'unreachable':
			/* translators: %s: the error WordPress met, such as a timeout */
			return array( sprintf( __( 'The gateway cannot be reached from this site (%s). Check the gateway URL, and ask your Switchboard administrator whether the gateway is running.', 'switchboard-chat' ), $detail ), false );
		default:
			/* translators: %s: the HTTP status the address answered with */
			return array( sprintf( __( 'The gateway URL does not answer like a Switchboard gateway (HTTP status %s). Use the address in the snippet, before /widget/loader.js.', 'switchboard-chat' ), $detail ), false );
	}
}

/**
 * Registers the option, the section and the two fields with the Settings API (which also
 * adds and checks the nonce of the form).
 */
function switchboard_chat_register_settings() {
	register_setting(
		'switchboard_chat',
		SWITCHBOARD_CHAT_OPTION,
		array(
			'type'              => 'array',
			'sanitize_callback' => 'switchboard_chat_sanitize',
			'default'           => array(
				'gateway' => '',
				'widget'  => '',
			),
		)
	);

	add_settings_section(
		'switchboard_chat_main',
		__( 'Website chat', 'switchboard-chat' ),
		'switchboard_chat_section_intro',
		'switchboard-chat'
	);

	add_settings_field(
		'switchboard_chat_gateway',
		__( 'Gateway URL', 'switchboard-chat' ),
		'switchboard_chat_field_gateway',
		'switchboard-chat',
		'switchboard_chat_main',
		array( 'label_for' => 'switchboard_chat_gateway' )
	);

	add_settings_field(
		'switchboard_chat_widget',
		__( 'Widget ID', 'switchboard-chat' ),
		'switchboard_chat_field_widget',
		'switchboard-chat',
		'switchboard_chat_main',
		array( 'label_for' => 'switchboard_chat_widget' )
	);
}
add_action( 'admin_init', 'switchboard_chat_register_settings' );

/**
 * Text above the fields.
 */
function switchboard_chat_section_intro() {
	echo '<p>' . esc_html__( 'Paste the snippet Switchboard shows for your website chat, or its two values. Each time this page opens, the plugin asks Switchboard whether the chat works on this site.', 'switchboard-chat' ) . '</p>';
}

/**
 * The gateway URL field.
 */
function switchboard_chat_field_gateway() {
	$settings = switchboard_chat_settings();
	printf(
		'<input type="text" inputmode="url" id="switchboard_chat_gateway" name="%1$s[gateway]" value="%2$s" class="regular-text code" placeholder="https://chat.example.com" />',
		esc_attr( SWITCHBOARD_CHAT_OPTION ),
		esc_attr( $settings['gateway'] )
	);
	echo '<p class="description">' . esc_html__( 'The address of your Switchboard gateway, for example https://chat.example.com. Only the scheme, host and port are kept. You may paste the whole snippet here instead.', 'switchboard-chat' ) . '</p>';
}

/**
 * The widget ID field.
 */
function switchboard_chat_field_widget() {
	$settings = switchboard_chat_settings();
	printf(
		'<input type="text" id="switchboard_chat_widget" name="%1$s[widget]" value="%2$s" class="regular-text code" autocomplete="off" />',
		esc_attr( SWITCHBOARD_CHAT_OPTION ),
		esc_attr( $settings['widget'] )
	);
	echo '<p class="description">' . esc_html__( 'The value of data-widget in the snippet Switchboard shows for your widget, or the whole snippet.', 'switchboard-chat' ) . '</p>';
}

/**
 * Adds Settings → Switchboard Chat.
 */
function switchboard_chat_add_page() {
	add_options_page(
		__( 'Switchboard Chat', 'switchboard-chat' ),
		__( 'Switchboard Chat', 'switchboard-chat' ),
		'manage_options',
		'switchboard-chat',
		'switchboard_chat_render_page'
	);
}
add_action( 'admin_menu', 'switchboard_chat_add_page' );

/**
 * The settings page.
 */
function switchboard_chat_render_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$settings = switchboard_chat_settings();
	?>
	<div class="wrap">
		<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
		<?php
		if ( '' === $settings['gateway'] || '' === $settings['widget'] ) :
			?>
			<div class="notice notice-info inline"><p><?php esc_html_e( 'The chat is not shown yet: fill in both fields.', 'switchboard-chat' ); ?></p></div>
			<?php
		else :
			list( $message, $works ) = switchboard_chat_describe( switchboard_chat_check( $settings['gateway'], $settings['widget'] ) );
			?>
			<div id="switchboard-chat-check" class="notice <?php echo $works ? 'notice-success' : 'notice-error'; ?> inline"><p><?php echo esc_html( $message ); ?></p></div>
		<?php endif; ?>
		<form action="options.php" method="post">
			<?php
			settings_fields( 'switchboard_chat' );
			do_settings_sections( 'switchboard-chat' );
			submit_button();
			?>
		</form>
		<p><?php esc_html_e( 'In Switchboard, the widget\'s list of allowed addresses must contain your site\'s address (for example both https://example.com and https://www.example.com if your site answers on both).', 'switchboard-chat' ); ?></p>
	</div>
	<?php
}

/**
 * A "Settings" link next to Deactivate on the Plugins screen.
 *
 * @param string[] $links The plugin's action links.
 * @return string[]
 */
function switchboard_chat_action_links( $links ) {
	$url = admin_url( 'options-general.php?page=switchboard-chat' );
	array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'switchboard-chat' ) . '</a>' );
	return $links;
}
add_filter( 'plugin_action_links_' . plugin_basename( __FILE__ ), 'switchboard_chat_action_links' );

/**
 * Prints the snippet at the end of every public page, once both settings are filled in.
 */
function switchboard_chat_print_snippet() {
	$settings = switchboard_chat_settings();
	if ( '' === $settings['gateway'] || '' === $settings['widget'] || is_admin() ) {
		return;
	}
	$src = esc_url_raw( $settings['gateway'] . '/widget/loader.js', array( 'https', 'http' ) );
	if ( function_exists( 'wp_print_script_tag' ) ) {
		// wp_print_script_tag() escapes every value with esc_attr() and runs the wp_script_attributes
		// filter, so a security plugin can add its CSP nonce.
		wp_print_script_tag(
			array(
				'async'       => true,
				'src'         => $src,
				'data-widget' => $settings['widget'],
			)
		);
	} else {
		printf( "<script async src=\"%s\" data-widget=\"%s\"></script>\n", esc_url( $src ), esc_attr( $settings['widget'] ) );
	}
}
add_action( 'wp_footer', 'switchboard_chat_print_snippet', 100 );
