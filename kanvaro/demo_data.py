"""What `kanvaro demo` writes: six people, four projects, their stories and ~150 tasks.

Plain data; `kanvaro.demo` turns it into rows, dates relative to today and an audit
history. Each task is (final status, title) or (final status, title, description).
Descriptions are Markdown; `#[title]` stands for the link to that task of the same project
(its `#3.14`, once numbered), `@handle` for a person (handles are made from names).
"""

from __future__ import annotations

from dataclasses import dataclass, field

TODO, DOING, REVIEW, TESTING, DONE = "todo", "in-progress", "review", "testing", "completed"

Task = tuple[str, str] | tuple[str, str, str]


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    role: str
    custom_role: str | None = None


# The first is the owner, who registered the organization; the others were invited.
PEOPLE = (
    Person("maya", "Maya Lindqvist", "owner"),
    Person("tom", "Tom Okafor", "admin"),
    Person("priya", "Priya Raman", "project_manager"),
    Person("lucas", "Lucas Moreau", "team_member"),
    Person("aiko", "Aiko Tanaka", "team_member", custom_role="Design lead"),
    Person("grace", "Grace Holloway", "client"),
)

CUSTOM_ROLE = ("Design lead", ("Runs the design reviews: may delete tasks and stories and "
               "manage who is on a project."), ["project:manage_team", "story:delete", "task:delete"])


@dataclass(frozen=True)
class DemoProject:
    name: str
    status: str
    priority: str
    description: str
    creator: str
    members: tuple[str, ...]
    assignees: tuple[str, ...]  # drawn from for each task; repeats weigh
    started_days_ago: int
    ends_in_days: int
    stories: dict[str, tuple[str, list[Task]]] = field(default_factory=dict)  # title -> (priority, tasks)
    loose: list[Task] = field(default_factory=list)  # tasks without a story
    was: str | None = None  # the status before its last edit, if it changed


WEBSITE = DemoProject(
    "Website relaunch", "active", "high",
    "The new marketing site with the refreshed brand, on a faster host. Launch **before the "
    "trade fair**; the old URLs must keep working.",
    creator="maya", members=("maya", "priya", "lucas", "aiko", "grace"),
    assignees=("lucas", "lucas", "lucas", "aiko", "aiko", "aiko", "priya"),
    started_days_ago=41, ends_in_days=24,
    stories={
        "Content and sitemap": ("high", [
            (DONE, "Audit the pages and traffic of the current site"),
            (DONE, "Agree on the new sitemap with the client"),
            (DONE, "Write the homepage copy"),
            (REVIEW, "Write the product page copy",
             ("Three product pages share one template. Keep each intro **under 60 words**; "
             "@grace.holloway signs off on the claims.")),
            (DOING, "Rewrite the pricing FAQ"),
            (TODO, "Collect customer quotes for the testimonials"),
            (TODO, "Translate the main pages into German"),
        ]),
        "Visual design": ("high", [
            (DONE, "Moodboard for the refreshed brand"),
            (DONE, "Pick the typefaces and colour palette"),
            (DONE, "Design the homepage in Figma"),
            (DONE, "Design the product page template"),
            (REVIEW, "Design the blog article layout"),
            (TESTING, "Dark mode colour tokens"),
            (DOING, "Icon set for the feature grid"),
            (TODO, "Illustrations for the 404 and empty pages"),
        ]),
        "Build and launch": ("critical", [
            (DONE, "Set up the static site generator"),
            (DONE, "Build the header and footer components"),
            (TESTING, "Build the homepage hero and feature grid",
             ("Hero with the new tagline, the product shot and two buttons; below it the grid "
             "of six features with their icons (#[Icon set for the feature grid]).\n\n"
             "Before moving it to Completed, check it:\n\n- at 390 px, 768 px and 1280 px\n"
             "- in light and dark\n- with the copy of #[Write the homepage copy]")),
            (TESTING, "Contact form with spam protection"),
            (REVIEW, "Responsive navigation menu"),
            (DOING, "Blog listing with pagination"),
            (DOING, "Image pipeline with WebP and lazy loading"),
            (TODO, "Redirects from the old URLs",
             ("Export the old URLs from the analytics report; every one with traffic in the "
             "last year gets a `301` to its new page. Needed before #[Switch DNS to the new host].")),
            (TODO, "Cookie banner that respects Do Not Track"),
            (TODO, "Launch checklist and rollback plan"),
            (TODO, "Switch DNS to the new host"),
        ]),
        "Performance and accessibility": ("medium", [
            (DONE, "Lighthouse baseline of the old site"),
            (REVIEW, "Keyboard and screen reader pass on the homepage"),
            (DOING, "Colour contrast check of the new palette"),
            (TODO, "Cache headers and CDN configuration"),
            (TODO, "Core Web Vitals budget in CI"),
        ]),
    },
    loose=[
        (DONE, "Kick-off meeting with the client"),
        (DONE, "Choose the hosting provider"),
        (DONE, "Set up the staging site"),
        (DONE, "Analytics plan: what we measure"),
        (DONE, "Weekly status report template"),
        (TESTING, "Privacy-friendly analytics"),
        (TESTING, "Newsletter signup with double opt-in"),
        (REVIEW, "Search engine metadata and Open Graph images"),
        (REVIEW, "Legal pages: imprint and privacy policy"),
        (DOING, "Migrate the 120 blog posts"),
        (DOING, "Sitemap.xml and robots.txt"),
        (DOING, "Training session for the content editors"),
        (TODO, "Write the launch announcement"),
        (TODO, "Plan the post-launch retrospective"),
    ],
)

MOBILE = DemoProject(
    "Mobile app", "active", "critical",
    "Version 1.0 of the iOS and Android apps: tasks, offline, notifications. Beta with 50 "
    "customers first.",
    creator="priya", members=("priya", "tom", "lucas", "aiko"),
    assignees=("lucas", "lucas", "lucas", "lucas", "aiko", "aiko", "priya", "tom"),
    started_days_ago=33, ends_in_days=58,
    stories={
        "Accounts and sign-in": ("critical", [
            (DONE, "Sign-up screen with email verification"),
            (DONE, "Sign in with Apple and Google"),
            (DONE, "Password reset flow"),
            (TESTING, "Biometric unlock with Face ID and fingerprint"),
            (REVIEW, "Delete the account from the settings screen",
             ("Required by both stores:\n\n1. Ask for the password again.\n2. Say what is "
             "deleted, and when.\n\nSee the [App Store guideline 5.1.1]"
             "(https://developer.apple.com/app-store/review/guidelines/#data-collection-and-storage).")),
            (TODO, "Two-factor authentication with TOTP"),
        ]),
        "Offline mode": ("high", [
            (DONE, "Local database schema"),
            (DOING, "Sync queue for changes made offline"),
            (DOING, "Conflict resolution when both sides changed"),
            (TODO, "Offline banner and retry button"),
            (TODO, "Background sync on Android"),
        ]),
        "Push notifications": ("medium", [
            (DONE, "Register devices with APNs and FCM"),
            (REVIEW, "Notification preferences screen"),
            (DOING, "Deep links from a notification to its task"),
            (TODO, "Quiet hours"),
            (TODO, "Badge count on the app icon"),
        ]),
        "Release 1.0": ("critical", [
            (TESTING, "Crash reporting with symbol upload"),
            (TESTING, "App Store screenshots and description"),
            (REVIEW, "Privacy labels for the App Store"),
            (DOING, "Beta through TestFlight and Play internal testing"),
            (TODO, "Release notes for 1.0"),
            (TODO, "Submit for App Store review"),
            (TODO, "Staged rollout on Google Play"),
        ]),
    },
    loose=[
        (DONE, "Choose between React Native and Flutter"),
        (DONE, "CI builds for iOS and Android"),
        (DONE, "App icon and splash screen"),
        (DONE, "Onboarding carousel, three screens"),
        (DONE, "Analytics events for the main funnels"),
        (DONE, "Dark theme support"),
        (TESTING, "Tablet layout for the task list"),
        (TESTING, "Accessibility labels on every button"),
        (REVIEW, "Pull to refresh on the lists"),
        (REVIEW, "Localise into Spanish and French"),
        (DOING, "Image upload with compression"),
        (DOING, "Search with recent queries"),
        (DOING, "Settings screen redesign"),
        (DOING, "Retries with back-off when the API is busy"),
        (TODO, "Home screen widget"),
        (TODO, "In-app feedback form"),
        (TODO, "Bring the app size below 40 MB"),
        (TODO, "Performance pass on older Android phones"),
        (TODO, "Right-to-left layouts"),
    ],
)

CAMPAIGN = DemoProject(
    "Product launch campaign", "planning", "medium",
    "Press, paid social, newsletter and a launch evening for the new product line. The "
    "agency delivers the creative; we own the plan and the budget.",
    creator="priya", members=("priya", "maya", "aiko", "tom", "grace"),
    assignees=("priya", "priya", "aiko", "aiko", "maya", "tom"),
    started_days_ago=19, ends_in_days=75,
    stories={
        "Messaging": ("high", [
            (DONE, "Define the target audiences"),
            (DONE, "Positioning statement and key messages"),
            (REVIEW, "Tagline shortlist"),
            (DOING, "Write the press release"),
            (TODO, "Customer case study with Holloway & Co"),
            (TODO, "FAQ for the sales team"),
        ]),
        "Channels": ("medium", [
            (DONE, "Budget split across the channels"),
            (REVIEW, "Paid social plan for LinkedIn"),
            (DOING, "Newsletter sequence, four emails"),
            (DOING, "Co-marketing with two partners"),
            (TODO, "Search ads: keywords and bids"),
            (TODO, "Podcast sponsorship shortlist"),
            (TODO, "Brief for the creators we work with"),
        ]),
        "Launch evening": ("medium", [
            (DOING, "Venue options for the launch evening"),
            (TODO, "Guest list and invitations"),
            (TODO, "Catering and AV quotes"),
            (TODO, "Run of show"),
            (TODO, "Photographer for the evening"),
            (TODO, "Follow-up email to the guests"),
        ]),
    },
    loose=[
        (DONE, "Kick-off with the agency"),
        (TESTING, "Landing page A/B test"),
        (REVIEW, "Campaign timeline on one page"),
        (DOING, "Script for the product demo video"),
        (DOING, "Brand guidelines for the agency"),
        (TODO, "Storyboard the 30-second teaser"),
        (TODO, "Book the studio for the video shoot"),
        (TODO, "Social media calendar for launch week"),
        (TODO, "Blog post: why we built it"),
        (TODO, "Refresh the sales deck"),
        (TODO, "Press list of trade magazines"),
        (TODO, "UTM links and a results dashboard"),
        (TODO, "Order the giveaway merchandise"),
        (TODO, "Post-campaign report template"),
    ],
)

OFFICE = DemoProject(
    "Office move", "on_hold", "low",
    "Move the team to the third floor of the Harbour building. On hold until the landlord "
    "finishes the fit-out.",
    creator="maya", members=("maya", "tom", "priya"),
    assignees=("tom", "tom", "tom", "maya", "priya"),
    started_days_ago=27, ends_in_days=48, was="active",
    stories={
        "Planning": ("high", [
            (DONE, "Sign the lease for the third floor"),
            (DONE, "Floor plan with desks and meeting rooms"),
            (DONE, "Moving budget approved"),
            (REVIEW, "Seating plan by team"),
            (TODO, "Timeline for moving day"),
        ]),
        "IT and network": ("high", [
            (DONE, "Survey the network cabling"),
            (DOING, "Order the Wi-Fi access points"),
            (DOING, "Move the internet contract to the new address"),
            (TODO, "Label every monitor and dock"),
            (TODO, "Set up the printers"),
            (TODO, "Badge readers for the entrance"),
        ]),
        "Furniture and fit-out": ("medium", [
            (DONE, "Quotes from three furniture suppliers"),
            (DONE, "Order the standing desks"),
            (TESTING, "Acoustic panels in the meeting rooms",
             ("Installed on Tuesday. Book the large room for an hour and check a video call "
             "from both ends before signing off; @tom.okafor has the test script.")),
            (REVIEW, "Kitchen appliances shortlist"),
            (DOING, "Plants for the open space"),
            (TODO, "Lockers for the hot desks"),
            (TODO, "Signs and room names"),
        ]),
    },
    loose=[
        (DONE, "Give notice to the old landlord"),
        (DONE, "Hire the moving company"),
        (DOING, "New address on the website and invoices"),
        (TODO, "Change of address for the bank and insurers"),
        (TODO, "Packing crates for every team"),
        (TODO, "Book the lift for moving day"),
        (TODO, "Clear out the archive room"),
        (TODO, "Recycle the old chairs"),
        (TODO, "Farewell drinks at the old office"),
        (TODO, "Welcome pack for the first day"),
        (TODO, "Fire exits and first aid briefing"),
        (TODO, "Forward the post for six months"),
    ],
)

PROJECTS = (WEBSITE, MOBILE, CAMPAIGN, OFFICE)
