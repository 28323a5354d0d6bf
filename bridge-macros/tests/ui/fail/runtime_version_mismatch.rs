// What a user sees when their lock file pairs the macros with a runtime of another version (possible only when
// `bridge-macros` or `bridge-runtime` is depended on apart from `talkdesk-bridge`, which pins both exactly).
//
// The code below is the `auth_validator` expansion snapshot (`bridge-macros/tests/snapshots/auth_validator.rs.snap`)
// as macros of version 0.0.9 would emit it: it imports the runtime's contract from `bridge_runtime_0_0_9`, which
// this runtime does not have. The error is one, on that import, and rustc names the runtime's own version.
use bridge::{Auth, Bridge, Error};

pub async fn validate(_auth: Auth<String>) -> Result<(), Error> {
    Ok(())
}
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default)]
pub struct validate {}
const _: () = {
    use ::bridge::__private::bridge_runtime_0_0_9 as __bridge_private;
    impl __bridge_private::Endpoint for validate {
        fn info(&self) -> __bridge_private::EndpointInfo {
            __bridge_private::EndpointInfo {
                kind: __bridge_private::EndpointKind::AuthValidation,
                path: "/auth_validation",
                handler: "validate",
                action: ::core::option::Option::None,
            }
        }
        fn mount(&self, __ctx: &__bridge_private::MountContext<'_>) -> __bridge_private::Mounted {
            __bridge_private::mount(
                __ctx,
                __bridge_private::Witness::<__bridge_private::kind::AuthValidation>::new(),
                __bridge_private::Witness::new(),
                __bridge_private::Witness::<__bridge_private::NoData>::new(),
                __bridge_private::Witness::new(),
                move |__request, _| {
                    __bridge_private::ready(__bridge_private::handler_future(validate(__bridge_private::Auth(
                        __request.auth,
                    ))))
                },
            )
        }
    }
};

fn main() {
    let _ = Bridge::new().endpoint(validate {});
}
